/**
 * The services go-plugin serves beside the provider (our own definitions with the names and field
 * numbers of hashicorp/go-plugin's internal/plugin/*.proto and grpc's health/v1), and the two
 * google.protobuf well-known messages the protocol imports. Text, parsed at start by protos.ts.
 */

/** package plugin: GRPCBroker, GRPCController, GRPCStdio. */
export const GO_PLUGIN_PROTO = `
syntax = "proto3";
package plugin;
import "google/protobuf/empty.proto";

message ConnInfo {
  uint32 service_id = 1;
  string network = 2;
  string address = 3;
  message Knock {
    bool knock = 1;
    bool ack = 2;
    string error = 3;
  }
  Knock knock = 4;
}

service GRPCBroker {
  rpc StartStream(stream ConnInfo) returns (stream ConnInfo);
}

message Empty {}

service GRPCController {
  rpc Shutdown(Empty) returns (Empty);
}

message StdioData {
  enum Channel { INVALID = 0; STDOUT = 1; STDERR = 2; }
  Channel channel = 1;
  bytes data = 2;
}

service GRPCStdio {
  rpc StreamStdio(google.protobuf.Empty) returns (stream StdioData);
}
`;

/** package grpc.health.v1: the standard gRPC health service. */
export const HEALTH_PROTO = `
syntax = "proto3";
package grpc.health.v1;

message HealthCheckRequest { string service = 1; }

message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}

service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

/** google/protobuf/empty.proto and timestamp.proto, the messages only (same wire format). */
export const WELL_KNOWN_PROTO = `
syntax = "proto3";
package google.protobuf;

message Empty {}

message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}
`;
