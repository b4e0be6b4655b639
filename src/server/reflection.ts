import { create, createFileRegistry, toBinary, type DescFile, type DescMessage, type DescService, type FileRegistry, type Message } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FieldDescriptorProtoJson } from "@bufbuild/protobuf/wkt";
import { fromJson } from "@bufbuild/protobuf";
import { Code, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";

// gRPC server reflection (grpc.reflection.v1 and its older twin v1alpha),
// which `buf curl`, grpcurl, grpcui and Postman use to discover the API
// without its .proto files. Both versions are the same messages under two
// package names, so their descriptors are built here once for each name,
// from the field numbers of grpc/reflection/v1/reflection.proto.

const PACKAGES = ["grpc.reflection.v1", "grpc.reflection.v1alpha"] as const;

type Kind = "STRING" | "INT32" | "BYTES" | "MESSAGE";
const field = (name: string, number: number, type: Kind, extra: Partial<FieldDescriptorProtoJson> = {}): FieldDescriptorProtoJson => ({
  name,
  number,
  type: `TYPE_${type}`,
  label: "LABEL_OPTIONAL",
  ...extra,
});
const message = (pkg: string, name: string) => ({ typeName: `.${pkg}.${name}` });
const repeated: Partial<FieldDescriptorProtoJson> = { label: "LABEL_REPEATED" };
const inOneof = { oneofIndex: 0 };

function reflectionFile(pkg: string) {
  return fromJson(FileDescriptorProtoSchema, {
    name: `${pkg.replaceAll(".", "/")}/reflection.proto`,
    package: pkg,
    syntax: "proto3",
    messageType: [
      {
        name: "ServerReflectionRequest",
        field: [
          field("host", 1, "STRING"),
          field("file_by_filename", 3, "STRING", inOneof),
          field("file_containing_symbol", 4, "STRING", inOneof),
          field("file_containing_extension", 5, "MESSAGE", { ...message(pkg, "ExtensionRequest"), ...inOneof }),
          field("all_extension_numbers_of_type", 6, "STRING", inOneof),
          field("list_services", 7, "STRING", inOneof),
        ],
        oneofDecl: [{ name: "message_request" }],
      },
      { name: "ExtensionRequest", field: [field("containing_type", 1, "STRING"), field("extension_number", 2, "INT32")] },
      {
        name: "ServerReflectionResponse",
        field: [
          field("valid_host", 1, "STRING"),
          field("original_request", 2, "MESSAGE", message(pkg, "ServerReflectionRequest")),
          field("file_descriptor_response", 4, "MESSAGE", { ...message(pkg, "FileDescriptorResponse"), ...inOneof }),
          field("all_extension_numbers_response", 5, "MESSAGE", { ...message(pkg, "ExtensionNumberResponse"), ...inOneof }),
          field("list_services_response", 6, "MESSAGE", { ...message(pkg, "ListServiceResponse"), ...inOneof }),
          field("error_response", 7, "MESSAGE", { ...message(pkg, "ErrorResponse"), ...inOneof }),
        ],
        oneofDecl: [{ name: "message_response" }],
      },
      { name: "FileDescriptorResponse", field: [field("file_descriptor_proto", 1, "BYTES", repeated)] },
      { name: "ExtensionNumberResponse", field: [field("base_type_name", 1, "STRING"), field("extension_number", 2, "INT32", repeated)] },
      { name: "ListServiceResponse", field: [field("service", 1, "MESSAGE", { ...message(pkg, "ServiceResponse"), ...repeated })] },
      { name: "ServiceResponse", field: [field("name", 1, "STRING")] },
      { name: "ErrorResponse", field: [field("error_code", 1, "INT32"), field("error_message", 2, "STRING")] },
    ],
    service: [
      {
        name: "ServerReflection",
        method: [
          {
            name: "ServerReflectionInfo",
            inputType: `.${pkg}.ServerReflectionRequest`,
            outputType: `.${pkg}.ServerReflectionResponse`,
            clientStreaming: true,
            serverStreaming: true,
          },
        ],
      },
    ],
  });
}

// A file and every file it imports, each once, imports first.
function withDependencies(files: DescFile[], into = new Map<string, DescFile>()): Map<string, DescFile> {
  for (const file of files) {
    if (into.has(file.name)) continue;
    withDependencies(file.dependencies, into);
    into.set(file.name, file);
  }
  return into;
}

// The request's oneof, as protobuf-es represents it on a message.
type Request = Message & {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
};

class Reflection {
  private readonly bytes = new Map<string, Uint8Array>();

  constructor(
    private readonly registry: FileRegistry,
    private readonly serviceNames: string[],
    private readonly messages: { response: DescMessage; files: DescMessage; numbers: DescMessage; services: DescMessage; service: DescMessage; error: DescMessage },
  ) {}

  // A file with all it imports (clients need them to resolve its types).
  private files(file: DescFile): Message {
    const protos = [...withDependencies([file]).values()].map((f) => {
      let b = this.bytes.get(f.name);
      if (!b) this.bytes.set(f.name, (b = toBinary(FileDescriptorProtoSchema, f.proto)));
      return b;
    });
    return create(this.messages.files, { fileDescriptorProto: protos });
  }

  private fileOfSymbol(symbol: string): DescFile | undefined {
    const found = this.registry.get(symbol);
    if (found) return found.file;
    // A method: <service>.<method>.
    const dot = symbol.lastIndexOf(".");
    const service = this.registry.getService(symbol.slice(0, dot));
    return service?.methods.some((m) => m.name === symbol.slice(dot + 1)) ? service.file : undefined;
  }

  private error(code: Code, message: string) {
    return { case: "errorResponse", value: create(this.messages.error, { errorCode: code, errorMessage: message }) };
  }

  answer(req: Request): Message {
    const r = req.messageRequest;
    let messageResponse;
    switch (r.case) {
      case "listServices":
        messageResponse = {
          case: "listServicesResponse",
          value: create(this.messages.services, { service: this.serviceNames.map((name) => create(this.messages.service, { name })) }),
        };
        break;
      case "fileByFilename": {
        const file = this.registry.getFile(r.value);
        messageResponse = file ? { case: "fileDescriptorResponse", value: this.files(file) } : this.error(Code.NotFound, `file not found: ${r.value}`);
        break;
      }
      case "fileContainingSymbol": {
        const file = this.fileOfSymbol(r.value);
        messageResponse = file ? { case: "fileDescriptorResponse", value: this.files(file) } : this.error(Code.NotFound, `symbol not found: ${r.value}`);
        break;
      }
      case "fileContainingExtension": {
        const extendee = this.registry.getMessage(r.value.containingType);
        const ext = extendee && this.registry.getExtensionFor(extendee, r.value.extensionNumber);
        messageResponse = ext
          ? { case: "fileDescriptorResponse", value: this.files(ext.file) }
          : this.error(Code.NotFound, `extension not found: ${r.value.containingType} ${r.value.extensionNumber}`);
        break;
      }
      case "allExtensionNumbersOfType": {
        const extendee = this.registry.getMessage(r.value);
        const numbers = [...this.registry].flatMap((d) => (d.kind === "extension" && d.extendee.typeName === r.value ? [d.number] : []));
        messageResponse = extendee
          ? { case: "allExtensionNumbersResponse", value: create(this.messages.numbers, { baseTypeName: r.value, extensionNumber: numbers }) }
          : this.error(Code.NotFound, `type not found: ${r.value}`);
        break;
      }
      default:
        messageResponse = this.error(Code.InvalidArgument, "empty reflection request");
    }
    return create(this.messages.response, { validHost: req.host, originalRequest: req, messageResponse });
  }
}

// Serves reflection, in both versions, for the given services and the
// reflection services themselves.
export function serveReflection(router: ConnectRouter, services: DescService[]): void {
  const own = createFileRegistry(create(FileDescriptorSetSchema, { file: PACKAGES.map(reflectionFile) }));
  const reflectionServices = PACKAGES.map((pkg) => own.getService(`${pkg}.ServerReflection`)!);
  const files = withDependencies([...services, ...reflectionServices].map((s) => s.file));
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: [...files.values()].map((f) => f.proto) }));
  const serviceNames = [...services, ...reflectionServices].map((s) => s.typeName);
  for (const pkg of PACKAGES) {
    const service = registry.getService(`${pkg}.ServerReflection`)!;
    const msg = (name: string) => registry.getMessage(`${pkg}.${name}`)!;
    const reflection = new Reflection(registry, serviceNames, {
      response: msg("ServerReflectionResponse"),
      files: msg("FileDescriptorResponse"),
      numbers: msg("ExtensionNumberResponse"),
      services: msg("ListServiceResponse"),
      service: msg("ServiceResponse"),
      error: msg("ErrorResponse"),
    });
    const impl = {
      async *serverReflectionInfo(requests: AsyncIterable<Request>) {
        for await (const req of requests) yield reflection.answer(req);
      },
    };
    router.service(service, impl as unknown as ServiceImpl<DescService>);
  }
}
