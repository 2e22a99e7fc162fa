#!/usr/bin/python3
"""Independent Python implementation of the helloworld.Greeter contract.

Shares no code with the Deno project: message classes are built at run time
from a FileDescriptorProto constructed here, the RPCs are served through grpc
generic handlers, and tokens are checked with PyJWT.

Run with Debian's interpreter (python3-grpcio, python3-protobuf, python3-jwt):

    /usr/bin/python3 tests/interop/greeter_server.py --cert server.pem \
        --key server-key.pem --secret-file secret [--variant correct]

Prints exactly one line ``LISTENING <port>`` on stdout once serving.
``--variant`` selects a deliberately broken behaviour (see VARIANTS) so a
conformance client can be shown to catch it.
"""

import argparse
import asyncio
import signal
import sys
import time

import grpc
import jwt
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

VARIANTS = (
    "correct",
    "accepts-expired",  # exp is not checked (also never ends streams on expiry)
    "no-auth-on-streams",  # only SayHello checks the token
    "internal-for-invalid",  # INTERNAL instead of INVALID_ARGUMENT for bad names
    "batched-bidi",  # bidi replies only after the client half-closes
    "drops-last-client-message",  # client stream omits the last name
    "wrong-stream-count",  # server stream sends one reply fewer
    "health-needs-token",  # health Check requires a token
)

LEEWAY_SECONDS = 5
MAX_NAME_CHARS = 256
DEFAULT_STREAM_COUNT = 3
MAX_STREAM_COUNT = 100
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
GREETER_SERVICE = "helloworld.Greeter"
HEALTH_SERVICE = "grpc.health.v1.Health"


# --------------------------------------------------------------------------
# Message classes, built from a descriptor constructed by hand.
# --------------------------------------------------------------------------

def _field(msg, name, number, ftype, type_name=None):
    f = msg.field.add()
    f.name = name
    f.number = number
    f.label = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
    f.type = ftype
    if type_name:
        f.type_name = type_name
    f.json_name = name


def _build_messages():
    T = descriptor_pb2.FieldDescriptorProto
    pool = descriptor_pool.DescriptorPool()

    greeter = descriptor_pb2.FileDescriptorProto()
    greeter.name = "interop/greeter.proto"
    greeter.package = "helloworld"
    greeter.syntax = "proto3"
    req = greeter.message_type.add()
    req.name = "HelloRequest"
    _field(req, "name", 1, T.TYPE_STRING)
    _field(req, "count", 2, T.TYPE_INT32)
    rep = greeter.message_type.add()
    rep.name = "HelloReply"
    _field(rep, "message", 1, T.TYPE_STRING)
    pool.Add(greeter)

    health = descriptor_pb2.FileDescriptorProto()
    health.name = "interop/health.proto"
    health.package = "grpc.health.v1"
    health.syntax = "proto3"
    hreq = health.message_type.add()
    hreq.name = "HealthCheckRequest"
    _field(hreq, "service", 1, T.TYPE_STRING)
    hres = health.message_type.add()
    hres.name = "HealthCheckResponse"
    enum = hres.enum_type.add()
    enum.name = "ServingStatus"
    for i, n in enumerate(("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN")):
        v = enum.value.add()
        v.name = n
        v.number = i
    _field(hres, "status", 1, T.TYPE_ENUM,
           ".grpc.health.v1.HealthCheckResponse.ServingStatus")
    pool.Add(health)

    factory = message_factory.MessageFactory(pool)

    def cls(full_name):
        desc = pool.FindMessageTypeByName(full_name)
        get = getattr(message_factory, "GetMessageClass", None)
        return get(desc) if get else factory.GetPrototype(desc)

    return (cls("helloworld.HelloRequest"), cls("helloworld.HelloReply"),
            cls("grpc.health.v1.HealthCheckRequest"),
            cls("grpc.health.v1.HealthCheckResponse"))


HelloRequest, HelloReply, HealthCheckRequest, HealthCheckResponse = _build_messages()
SERVING = 1


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

class Greeter:
    def __init__(self, secret, issuer, audience, variant):
        self.secret = secret
        self.issuer = issuer
        self.audience = audience
        self.variant = variant

    # ---- authentication ------------------------------------------------

    async def authenticate(self, context):
        """Returns the token's expiry deadline (epoch seconds, or None when
        expiry is not enforced); aborts UNAUTHENTICATED otherwise."""
        values = [v for k, v in context.invocation_metadata() if k == "authorization"]
        if not values:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing bearer token")
        if len(values) > 1 or not isinstance(values[0], str):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "malformed authorization")
        parts = values[0].strip().split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer":
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "malformed authorization")
        check_exp = self.variant != "accepts-expired"
        try:
            claims = jwt.decode(
                parts[1].strip(),
                self.secret,
                algorithms=["HS256"],
                issuer=self.issuer,
                audience=self.audience,
                leeway=LEEWAY_SECONDS,
                options={
                    "require": ["sub", "iat", "exp", "iss", "aud"],
                    "verify_signature": True,
                    "verify_exp": check_exp,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "verify_iss": True,
                    "verify_aud": True,
                },
            )
        except jwt.ExpiredSignatureError:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "token expired")
        except jwt.PyJWTError:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid token")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid token")
        if not check_exp:
            return None
        return float(claims["exp"]) + LEEWAY_SECONDS

    async def check_expiry(self, context, deadline):
        if deadline is not None and time.time() >= deadline:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "token expired")

    async def next_request(self, iterator, context, deadline):
        """Next request from a client stream, or None at half-close; the call
        ends UNAUTHENTICATED if the token expires while waiting."""
        await self.check_expiry(context, deadline)
        try:
            if deadline is None:
                return await iterator.__anext__()
            return await asyncio.wait_for(iterator.__anext__(), deadline - time.time())
        except StopAsyncIteration:
            return None
        except asyncio.TimeoutError:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "token expired")

    # ---- validation ----------------------------------------------------

    async def validate_name(self, context, name):
        code = (grpc.StatusCode.INTERNAL if self.variant == "internal-for-invalid"
                else grpc.StatusCode.INVALID_ARGUMENT)
        if not name.strip():
            await context.abort(code, "name must not be blank")
        if len(name) > MAX_NAME_CHARS:
            await context.abort(code, f"name must be at most {MAX_NAME_CHARS} characters")

    # ---- RPCs ----------------------------------------------------------

    async def say_hello(self, request, context):
        await self.authenticate(context)
        await self.validate_name(context, request.name)
        return HelloReply(message=f"Hello, {request.name}!")

    async def say_hello_stream(self, request, context):
        deadline = None
        if self.variant != "no-auth-on-streams":
            deadline = await self.authenticate(context)
        await self.validate_name(context, request.name)
        count = request.count or DEFAULT_STREAM_COUNT
        if count < 1 or count > MAX_STREAM_COUNT:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"count must be between 0 and {MAX_STREAM_COUNT}")
        sent = count - 1 if self.variant == "wrong-stream-count" else count
        for i in range(1, sent + 1):
            await self.check_expiry(context, deadline)
            yield HelloReply(message=f"Hello, {request.name}! ({i}/{count})")

    async def say_hello_client_stream(self, request_iterator, context):
        deadline = None
        if self.variant != "no-auth-on-streams":
            deadline = await self.authenticate(context)
        iterator = request_iterator.__aiter__()
        names = []
        while True:
            request = await self.next_request(iterator, context, deadline)
            if request is None:
                break
            await self.validate_name(context, request.name)
            names.append(request.name)
        await self.check_expiry(context, deadline)
        if self.variant == "drops-last-client-message" and names:
            names.pop()
        return HelloReply(message=f"Hello, {', '.join(names)}!")

    async def say_hello_bidirectional(self, request_iterator, context):
        deadline = None
        if self.variant != "no-auth-on-streams":
            deadline = await self.authenticate(context)
        iterator = request_iterator.__aiter__()
        held = []
        while True:
            request = await self.next_request(iterator, context, deadline)
            if request is None:
                break
            await self.validate_name(context, request.name)
            reply = HelloReply(message=f"Hello, {request.name}!")
            if self.variant == "batched-bidi":
                held.append(reply)
            else:
                yield reply
        for reply in held:
            yield reply

    async def health_check(self, request, context):
        if self.variant == "health-needs-token":
            await self.authenticate(context)
        if request.service not in ("", GREETER_SERVICE):
            await context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return HealthCheckResponse(status=SERVING)

    # ---- wiring --------------------------------------------------------

    def handlers(self):
        ser = lambda m: m.SerializeToString()  # noqa: E731
        greeter = grpc.method_handlers_generic_handler(GREETER_SERVICE, {
            "SayHello": grpc.unary_unary_rpc_method_handler(
                self.say_hello, HelloRequest.FromString, ser),
            "SayHelloStream": grpc.unary_stream_rpc_method_handler(
                self.say_hello_stream, HelloRequest.FromString, ser),
            "SayHelloClientStream": grpc.stream_unary_rpc_method_handler(
                self.say_hello_client_stream, HelloRequest.FromString, ser),
            "SayHelloBidirectional": grpc.stream_stream_rpc_method_handler(
                self.say_hello_bidirectional, HelloRequest.FromString, ser),
        })
        health = grpc.method_handlers_generic_handler(HEALTH_SERVICE, {
            "Check": grpc.unary_unary_rpc_method_handler(
                self.health_check, HealthCheckRequest.FromString, ser),
        })
        return [greeter, health]


def read_secret(args):
    if args.secret_file:
        with open(args.secret_file, "rb") as f:
            data = f.read()
        # A single trailing newline (as left by `echo` or an editor) is not part
        # of the secret.
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        return data
    if args.secret is not None:
        return args.secret.encode()
    sys.exit("greeter_server: --secret-file or --secret is required")


async def serve(args):
    with open(args.cert, "rb") as f:
        cert = f.read()
    with open(args.key, "rb") as f:
        key = f.read()
    greeter = Greeter(read_secret(args), args.issuer, args.audience, args.variant)
    server = grpc.aio.server(options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ])
    server.add_generic_rpc_handlers(greeter.handlers())
    port = server.add_secure_port(f"{args.host}:{args.port}",
                                  grpc.ssl_server_credentials([(key, cert)]))
    if port == 0:
        sys.exit(f"greeter_server: could not bind {args.host}:{args.port}")
    await server.start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    print(f"LISTENING {port}", flush=True)
    await stop.wait()
    await server.stop(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--cert", required=True, help="server certificate chain (PEM)")
    p.add_argument("--key", required=True, help="server private key (PEM)")
    p.add_argument("--secret-file", help="file holding the HS256 secret")
    p.add_argument("--secret", help="HS256 secret as a string")
    p.add_argument("--issuer", default="greeter")
    p.add_argument("--audience", default=GREETER_SERVICE)
    p.add_argument("--variant", default="correct", choices=VARIANTS)
    args = p.parse_args()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
