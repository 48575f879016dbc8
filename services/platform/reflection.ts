// gRPC server reflection, v1 and v1alpha (grpcurl and buf curl try v1 first,
// Postman speaks only v1alpha), answered from the protobuf-es descriptors of
// the services this server mounts.
import { create, toBinary, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** Files, symbols and serialised descriptors of a set of services and their dependencies. */
export class DescriptorIndex {
  readonly serviceNames: readonly string[];
  readonly #files = new Map<string, DescFile>();
  readonly #symbols = new Map<string, DescFile>();
  readonly #bytes = new Map<DescFile, Uint8Array>();
  readonly #messages = new Map<string, DescMessage>();

  /** `extraFiles` are described without being services, e.g. the types of error details. */
  constructor(services: readonly DescService[], extraFiles: readonly DescFile[] = []) {
    this.serviceNames = services.map((s) => s.typeName).sort();
    for (const service of services) this.#addFile(service.file);
    for (const file of extraFiles) this.#addFile(file);
  }

  #addFile(file: DescFile): void {
    if (this.#files.has(file.proto.name)) return;
    this.#files.set(file.proto.name, file);
    const addMessage = (message: DescMessage): void => {
      this.#symbols.set(message.typeName, file);
      this.#messages.set(message.typeName, message);
      message.nestedMessages.forEach(addMessage);
      for (const e of message.nestedEnums) this.#symbols.set(e.typeName, file);
      for (const x of message.nestedExtensions) this.#symbols.set(x.typeName, file);
    };
    file.messages.forEach(addMessage);
    for (const e of file.enums) this.#symbols.set(e.typeName, file);
    for (const x of file.extensions) this.#symbols.set(x.typeName, file);
    for (const service of file.services) {
      this.#symbols.set(service.typeName, file);
      for (const method of service.methods) this.#symbols.set(`${service.typeName}.${method.name}`, file);
    }
    file.dependencies.forEach((dep) => this.#addFile(dep));
  }

  fileByName(name: string): DescFile | undefined {
    return this.#files.get(name);
  }

  fileContainingSymbol(symbol: string): DescFile | undefined {
    return this.#symbols.get(symbol.replace(/^\./, ""));
  }

  message(typeName: string): DescMessage | undefined {
    return this.#messages.get(typeName.replace(/^\./, ""));
  }

  /**
   * The file (always) and those of its transitive dependencies not yet in
   * `sent`, serialised; marks them sent. Clients cache what a stream sent.
   */
  serialise(file: DescFile, sent: Set<string>): Uint8Array[] {
    const out: Uint8Array[] = [];
    const visit = (f: DescFile): void => {
      if (sent.has(f.proto.name) && f !== file) return;
      sent.add(f.proto.name);
      let bytes = this.#bytes.get(f);
      if (bytes === undefined) this.#bytes.set(f, (bytes = toBinary(FileDescriptorProtoSchema, f.proto)));
      out.push(bytes);
      f.dependencies.forEach(visit);
    };
    visit(file);
    return out;
  }
}

/** The version-independent request: v1 and v1alpha messages have the same shape. */
type ReflectionRequest = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;

/** The version-independent answer, as a message-response oneof init. */
type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: Array<{ name: string }> } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

function notFound(message: string): Answer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: message } };
}

export function answerReflection(index: DescriptorIndex, req: ReflectionRequest, sent: Set<string>): Answer {
  const request = req.messageRequest;
  switch (request.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } };
    case "fileByFilename": {
      const file = index.fileByName(request.value);
      if (file === undefined) return notFound(`file "${request.value}" not found`);
      return { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.serialise(file, sent) } };
    }
    case "fileContainingSymbol": {
      const file = index.fileContainingSymbol(request.value);
      if (file === undefined) return notFound(`symbol "${request.value}" not found`);
      return { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.serialise(file, sent) } };
    }
    case "fileContainingExtension":
      // None of the served files declares extensions.
      return notFound(`no extension ${request.value.extensionNumber} of "${request.value.containingType}"`);
    case "allExtensionNumbersOfType": {
      if (index.message(request.value) === undefined) return notFound(`type "${request.value}" not found`);
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: request.value, extensionNumber: [] } };
    }
    default:
      return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request" } };
  }
}

/**
 * Registers grpc.reflection.v1 and v1alpha ServerReflection describing the
 * given services, the reflection services themselves, and google.rpc error
 * details (so grpcurl -format-error can decode BadRequest and ErrorInfo).
 */
export function registerReflection(router: ConnectRouter, services: readonly DescService[]): void {
  const index = new DescriptorIndex(
    [...services, v1.ServerReflection, v1alpha.ServerReflection],
    [file_google_rpc_error_details],
  );
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const req of requests) {
        yield create(v1.ServerReflectionResponseSchema, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: answerReflection(index, req, sent),
        });
      }
    },
  });
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const req of requests) {
        yield create(v1alpha.ServerReflectionResponseSchema, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: answerReflection(index, req, sent),
        });
      }
    },
  });
}
