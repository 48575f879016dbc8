// The reference data set of the system this mesh descends from. Ids are fixed
// so that the user, point and department databases, seeded separately, agree.

export interface ReferenceDepartment {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly city: string;
}

export interface ReferenceUser {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly age: number;
  readonly salary: number;
  readonly departmentId: string;
  readonly points: number;
}

const dept = (n: number) => `01900000-0000-7000-8000-0000000000d${n}`;
const user = (n: number) => `01900000-0000-7000-8000-00000000000${n}`;

export const REFERENCE_DEPARTMENTS: readonly ReferenceDepartment[] = [
  { id: dept(1), name: "Human Resources", address: "123 Main St", city: "Springfield" },
  { id: dept(2), name: "Finance", address: "456 Elm St", city: "Springfield" },
  { id: dept(3), name: "IT Support", address: "789 Oak St", city: "Springfield" },
];

function person(n: number, name: string, age: number, salary: number, department: number, points: number): ReferenceUser {
  const email = `${name.toLowerCase().replace(" ", ".")}@example.com`;
  return { id: user(n), name, email, age, salary, departmentId: dept(department), points };
}

export const REFERENCE_USERS: readonly ReferenceUser[] = [
  person(1, "Alice Johnson", 30, 60000, 1, 23),
  person(2, "Bob Smith", 28, 55000, 1, 43),
  person(3, "Charlie Brown", 35, 70000, 1, 28),
  person(4, "Diana Prince", 32, 80000, 2, 83),
  person(5, "Ethan Hunt", 29, 75000, 2, 13),
  person(6, "Fiona Gallagher", 27, 52000, 2, 33),
  person(7, "George Costanza", 40, 90000, 3, 93),
  person(8, "Hannah Baker", 22, 48000, 3, 13),
  person(9, "Ian Malcolm", 38, 85000, 3, 73),
];
