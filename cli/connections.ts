// One gRPC connection per service used by a command, opened on first use and
// closed when the command ends, so the process exits as soon as it is done.
// With a token, every call carries it as "authorization: Bearer <token>".
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { addressToBaseUrl, type Addresses, type MeshServiceName } from "./services.js";

export interface Connections {
  readonly addresses: Addresses;
  /** A client of `service` on the address of mesh service `target`. */
  client<S extends DescService>(target: MeshServiceName, service: S): Client<S>;
  close(): void;
}

export interface ConnectionOptions {
  /** A bearer token (--token or MESH_TOKEN) sent on every call. */
  readonly token?: string | undefined;
}

export function openConnections(addresses: Addresses, options: ConnectionOptions = {}): Connections {
  const sessions = new Map<MeshServiceName, Http2SessionManager>();
  const interceptors = options.token === undefined ? [] : [bearer(options.token)];
  return {
    addresses,
    client(target, service) {
      const baseUrl = addressToBaseUrl(addresses[target]);
      let sessionManager = sessions.get(target);
      if (sessionManager === undefined) {
        sessionManager = new Http2SessionManager(baseUrl);
        sessions.set(target, sessionManager);
      }
      return createClient(service, createGrpcTransport({ baseUrl, sessionManager, interceptors }));
    },
    close() {
      for (const session of sessions.values()) session.abort();
      sessions.clear();
    },
  };
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
