"""A made-up service, compiled at test time, that uses every annotation shape the gateway
transcodes: a new RPC must work with no gateway change, so the gateway is tested on one it
has never seen."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

import grpc_tools  # type: ignore[import-untyped]
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_tools import protoc  # type: ignore[import-untyped]

from gateway.descriptors import Backend

PROTO = """
// A made-up library for the gateway's tests.
syntax = "proto3";

package sgztest.shelves.v1;

import "google/api/annotations.proto";
import "google/api/field_behavior.proto";
import "google/api/resource.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/timestamp.proto";
import "sgz/common/v1/access.proto";

// Shelves and the books on them.
service ShelfService {
  // Gets a shelf.
  rpc GetShelf(GetShelfRequest) returns (Shelf) {
    option (google.api.http) = {get: "/v1/{name=shelves/*}"};
    option (sgz.common.v1.access) = {
      roles: [ACCESS_ROLE_CITY_CIVIL_AFFAIRS, ACCESS_ROLE_STATION_CHIEF]
    };
  }
  // Lists shelves.
  rpc ListShelves(ListShelvesRequest) returns (ListShelvesResponse) {
    option (google.api.http) = {get: "/v1/shelves"};
    option (sgz.common.v1.access) = {
      roles: [ACCESS_ROLE_CITY_CIVIL_AFFAIRS, ACCESS_ROLE_STATION_CHIEF]
    };
  }
  // Updates a shelf.
  rpc UpdateShelf(UpdateShelfRequest) returns (Shelf) {
    option (google.api.http) = {patch: "/v1/{shelf.name=shelves/*}" body: "shelf"};
    option (sgz.common.v1.access) = {
      roles: [ACCESS_ROLE_CITY_CIVIL_AFFAIRS, ACCESS_ROLE_STATION_CHIEF]
    };
  }
  // Moves a book.
  rpc MoveBook(MoveBookRequest) returns (Book) {
    option (google.api.http) = {
      post: "/v1/{name=shelves/*/books/*}:move"
      body: "*"
      additional_bindings {put: "/v1/{name=shelves/*/books/*}:move" body: "*"}
    };
    option (sgz.common.v1.access) = {
      roles: [ACCESS_ROLE_CITY_CIVIL_AFFAIRS, ACCESS_ROLE_STATION_CHIEF]
    };
  }
  // Deletes a shelf.
  rpc DeleteShelf(GetShelfRequest) returns (google.protobuf.Empty) {
    option (google.api.http) = {delete: "/v1/{name=shelves/*}"};
    option (sgz.common.v1.access) = {
      roles: [ACCESS_ROLE_CITY_CIVIL_AFFAIRS, ACCESS_ROLE_STATION_CHIEF]
    };
  }
  // Counts the books of a shelf, answering with the count alone.
  rpc CountBooks(GetShelfRequest) returns (CountBooksResponse) {
    option (google.api.http) = {get: "/v1/{name=shelves/*}:count" response_body: "count"};
    option (sgz.common.v1.access) = {
      roles: [ACCESS_ROLE_CITY_CIVIL_AFFAIRS, ACCESS_ROLE_STATION_CHIEF]
    };
  }
}

// A colour.
enum Colour {
  // Not set.
  COLOUR_UNSPECIFIED = 0;
  // Red.
  COLOUR_RED = 1;
  // Blue.
  COLOUR_BLUE = 2;
}

// A shelf of books.
message Shelf {
  option (google.api.resource) = {type: "test.sgz/Shelf" pattern: "shelves/{shelf}"};
  // The resource name.
  string name = 1 [(google.api.field_behavior) = IDENTIFIER];
  // The title on the shelf.
  string title = 2 [(google.api.field_behavior) = REQUIRED];
  // Its colour.
  Colour colour = 3;
  // Tags.
  repeated string tags = 4;
  // How many books fit.
  int64 capacity = 5;
  // When it opened.
  google.protobuf.Timestamp opened = 6;
  // Its inside.
  Inner inner = 7;
  // Counts by genre.
  map<string, int32> counts = 8;
  // The version.
  string etag = 9 [(google.api.field_behavior) = OUTPUT_ONLY];
  // The name shown to people.
  string display_name = 10;
}

// The inside of a shelf.
message Inner {
  // Whether it is open.
  bool open = 1;
  // Colours inside.
  repeated Colour colours = 2;
}

// A book.
message Book {
  // The resource name.
  string name = 1;
  // The title.
  string title = 2;
}

// The request to get a shelf.
message GetShelfRequest {
  // The shelf.
  string name = 1 [(google.api.field_behavior) = REQUIRED];
}

// The request to list shelves.
message ListShelvesRequest {
  // Page size.
  int32 page_size = 1;
  // Only shelves with all these tags.
  repeated string tags = 2;
  // Only shelves of this colour.
  Colour colour = 3;
  // Only shelves with this inside.
  Inner inner = 4;
  // Only shelves opened after this.
  google.protobuf.Timestamp opened_after = 5;
  // Which fields to return.
  google.protobuf.FieldMask read_mask = 6;
  // Only shelves with these colours.
  repeated Colour colours = 7;
}

// Shelves.
message ListShelvesResponse {
  // The shelves.
  repeated Shelf shelves = 1;
  // The next page.
  string next_page_token = 2;
}

// The request to update a shelf.
message UpdateShelfRequest {
  // The shelf.
  Shelf shelf = 1 [(google.api.field_behavior) = REQUIRED];
  // The fields to update.
  google.protobuf.FieldMask update_mask = 2;
}

// The request to move a book.
message MoveBookRequest {
  // The book.
  string name = 1;
  // Where to.
  string destination = 2;
  // The position on the destination shelf.
  int64 position = 3;
}

// How many books.
message CountBooksResponse {
  // The count.
  int32 count = 1;
}
"""


def _include_dirs() -> list[Path]:
    from google.api import http_pb2

    site = Path(http_pb2.__file__).resolve().parent.parent.parent
    protos = Path(__file__).resolve().parents[2] / "protos"  # sgz/common/v1/access.proto
    return [site, Path(grpc_tools.__file__).resolve().parent / "_proto", protos]


@cache
def compiled(folder: Path) -> Path:
    """The descriptor set (with source info) of the made-up service, compiled into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "sgztest" / "shelves.proto"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(PROTO)
    out = folder / "shelves.binpb"
    args = [
        "protoc",
        f"-I{folder}",
        *[f"-I{d}" for d in _include_dirs()],
        f"--descriptor_set_out={out}",
        "--include_source_info",
        "sgztest/shelves.proto",
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed on the test proto")
    return out


@cache
def backend(folder: Path) -> Backend:
    """The made-up service, added once to the default pool (where the gateway finds types)."""
    files = descriptor_pb2.FileDescriptorSet.FromString(compiled(folder).read_bytes())
    pool = descriptor_pool.Default()
    for name in ("annotations", "field_behavior", "resource"):
        importlib.import_module(f"google.api.{name}_pb2")
    for module in ("empty", "field_mask", "timestamp"):
        importlib.import_module(f"google.protobuf.{module}_pb2")
    importlib.import_module("sgz.common.v1.access_pb2")  # who may call each RPC
    try:
        file = pool.FindFileByName("sgztest/shelves.proto")
    except KeyError:
        proto = files.file[0]
        proto.ClearField("source_code_info")
        file = pool.AddSerializedFile(proto.SerializeToString())
    return Backend("shelves", file, tuple(file.services_by_name.values()))
