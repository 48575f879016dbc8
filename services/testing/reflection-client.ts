// Asks a server's reflection service the questions grpcurl asks, and builds a
// registry from the answers, to prove every method's types resolve.
import { create, createFileRegistry, fromBinary, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { createClient, type Transport } from "@connectrpc/connect";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

type Version = "v1" | "v1alpha";
type Request = v1.ServerReflectionRequest["messageRequest"];

async function ask(transport: Transport, version: Version, questions: Request[]) {
  const service = version === "v1" ? v1.ServerReflection : v1alpha.ServerReflection;
  const client = createClient(service as typeof v1.ServerReflection, transport);
  async function* requests() {
    for (const messageRequest of questions) yield { host: "", messageRequest };
  }
  const answers: v1.ServerReflectionResponse[] = [];
  for await (const answer of client.serverReflectionInfo(requests())) answers.push(answer);
  return answers;
}

export async function listServices(transport: Transport, version: Version): Promise<string[]> {
  const [answer] = await ask(transport, version, [{ case: "listServices", value: "" }]);
  if (answer?.messageResponse.case !== "listServicesResponse") throw new Error("no list_services answer");
  return answer.messageResponse.value.service.map((s) => s.name);
}

/** Resolves every listed service through file_containing_symbol, in one stream, and returns the registry built from the answers. */
export async function registryFromReflection(transport: Transport, version: Version, services: string[]): Promise<FileRegistry> {
  const answers = await ask(
    transport,
    version,
    services.map((symbol) => ({ case: "fileContainingSymbol", value: symbol })),
  );
  const files = new Map<string, FileDescriptorProto>();
  for (const answer of answers) {
    if (answer.messageResponse.case !== "fileDescriptorResponse") {
      throw new Error(`reflection error: ${JSON.stringify(answer.messageResponse.value)}`);
    }
    for (const bytes of answer.messageResponse.value.fileDescriptorProto) {
      const file = fromBinary(FileDescriptorProtoSchema, bytes);
      files.set(file.name, file);
    }
  }
  // createFileRegistry needs dependencies before dependents; servers send them in any order.
  const ordered: FileDescriptorProto[] = [];
  const visit = (name: string) => {
    const file = files.get(name);
    if (file === undefined || ordered.includes(file)) return;
    file.dependency.forEach(visit);
    ordered.push(file);
  };
  [...files.keys()].forEach(visit);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
}

/** The error code a reflection question gets, or undefined when it is answered. */
export async function reflectionErrorCode(transport: Transport, version: Version, question: Request): Promise<number | undefined> {
  const [answer] = await ask(transport, version, [question]);
  return answer?.messageResponse.case === "errorResponse" ? answer.messageResponse.value.errorCode : undefined;
}
