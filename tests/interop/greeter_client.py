#!/usr/bin/python3
"""Independent conformance client for the helloworld.Greeter contract.

Shares no code with the Deno project, nor with greeter_server.py: the protobuf
messages are encoded and decoded by hand here (the server builds its classes
from descriptors), calls go through grpc's generic channel methods, tokens are
minted with PyJWT.

    /usr/bin/python3 tests/interop/greeter_client.py --target 127.0.0.1:50051 \
        --ca ca.pem --secret-file secret [--json]

Prints one row per case (case, expected, got, PASS/FAIL; with --json one JSON
object per line) and a final line ``N passed, M failed``; exits 0 only
if every case passed.
"""

import argparse
import base64
import json
import queue
import sys
import threading
import time

import grpc
import jwt

GREETER = "/helloworld.Greeter/"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
DEADLINE = 10.0
PING_WAIT = 3.0  # bidi: longest wait for the reply to one request
LONG_NAME = "n" * 257
OVERSIZED_NAME = "x" * (5 * 1024 * 1024)

OK = "OK"
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED.name
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.name
RESOURCE_EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED.name


# --------------------------------------------------------------------------
# Hand-written protobuf wire format for the four tiny messages.
# --------------------------------------------------------------------------

def _varint(n):
    n &= (1 << 64) - 1  # negative int32 -> 10-byte two's complement varint
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _string_field(number, value):
    data = value.encode("utf-8")
    if not data:
        return b""  # proto3: default values are not written
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _fields(data):
    """Yields (field number, wire type, value) from an encoded message."""
    i = 0

    def read_varint():
        nonlocal i
        shift = result = 0
        while True:
            if i >= len(data):
                raise ValueError("truncated varint")
            b = data[i]
            i += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    while i < len(data):
        key = read_varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            value = read_varint()
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 2:
            n = read_varint()
            value, i = data[i:i + n], i + n
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if i > len(data):
            raise ValueError("truncated field")
        yield number, wire, value


def encode_hello_request(name, count=0):
    out = _string_field(1, name)
    if count:
        out += _varint(2 << 3 | 0) + _varint(count)
    return out


def decode_hello_reply(data):
    message = ""
    for number, wire, value in _fields(data):
        if number == 1 and wire == 2:
            message = value.decode("utf-8")
    return message


def encode_health_request(service):
    return _string_field(1, service)


HEALTH_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def decode_health_response(data):
    status = 0
    for number, wire, value in _fields(data):
        if number == 1 and wire == 0:
            status = value
    return HEALTH_STATUS.get(status, str(status))


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------

class Tokens:
    def __init__(self, secret, issuer, audience):
        self.secret, self.issuer, self.audience = secret, issuer, audience

    def claims(self, **overrides):
        now = int(time.time())
        c = {"sub": "interop-client", "iat": now, "exp": now + 300,
             "iss": self.issuer, "aud": self.audience}
        for k, v in overrides.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def sign(self, claims, secret=None):
        return jwt.encode(claims, secret or self.secret, algorithm="HS256")

    def valid(self, **overrides):
        return self.sign(self.claims(**overrides))

    def unsigned(self):
        def b64(obj):
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(self.claims())}."

    def bad_cases(self):
        now = int(time.time())
        return [
            ("no token", None),
            ("garbage token", "not-a-jwt"),
            ("bad signature", self.sign(self.claims(), secret=b"wrong-secret-" * 4)),
            ("expired", self.valid(iat=now - 600, exp=now - 300)),
            ("not yet valid (nbf)", self.valid(nbf=now + 300)),
            ("wrong issuer", self.valid(iss="someone-else")),
            ("wrong audience", self.valid(aud="other.Service")),
            ("alg none", self.unsigned()),
            ("missing exp", self.valid(exp=None)),
            ("missing sub", self.valid(sub=None)),
        ]


# --------------------------------------------------------------------------
# Calls
# --------------------------------------------------------------------------

class CallError(Exception):
    pass


def _meta(token):
    return None if token is None else (("authorization", f"Bearer {token}"),)


def _status(err):
    if isinstance(err, grpc.RpcError) and hasattr(err, "code"):
        return err.code().name, err.details() or ""
    return type(err).__name__, str(err)


class Greeter:
    def __init__(self, channel):
        ident = lambda b: b  # noqa: E731
        self.unary = channel.unary_unary(GREETER + "SayHello", ident, decode_hello_reply)
        self.server_stream = channel.unary_stream(
            GREETER + "SayHelloStream", ident, decode_hello_reply)
        self.client_stream = channel.stream_unary(
            GREETER + "SayHelloClientStream", ident, decode_hello_reply)
        self.bidi = channel.stream_stream(
            GREETER + "SayHelloBidirectional", ident, decode_hello_reply)
        self.health = channel.unary_unary(HEALTH_CHECK, ident, decode_health_response)

    def say_hello(self, token, name):
        return [self.unary(encode_hello_request(name), timeout=DEADLINE, metadata=_meta(token))]

    def say_hello_stream(self, token, name, count=0):
        call = self.server_stream(encode_hello_request(name, count), timeout=DEADLINE,
                                  metadata=_meta(token))
        return list(call)

    def say_hello_client_stream(self, token, names):
        reqs = iter([encode_hello_request(n) for n in names])
        return [self.client_stream(reqs, timeout=DEADLINE, metadata=_meta(token))]

    def bidi_ping_pong(self, token, names):
        """Sends one name, waits (at most PING_WAIT s) for its reply, then sends
        the next; returns the replies. The request stream is half-closed only
        after the last reply (or an error) arrived, so a server that holds
        replies back until half-close fails here instead of passing."""
        outbox = queue.Queue()
        inbox = queue.Queue()
        done = object()

        def requests():
            while True:
                item = outbox.get()
                if item is done:
                    return
                yield item

        call = self.bidi(requests(), timeout=DEADLINE, metadata=_meta(token))

        def pump():
            try:
                for reply in call:
                    inbox.put(("reply", reply))
                inbox.put(("end", None))
            except Exception as err:  # noqa: BLE001
                inbox.put(("error", err))

        threading.Thread(target=pump, daemon=True).start()
        replies = []
        try:
            for i, name in enumerate(names):
                outbox.put(encode_hello_request(name))
                try:
                    kind, value = inbox.get(timeout=PING_WAIT)
                except queue.Empty:
                    call.cancel()
                    raise CallError(f"no reply to request {i + 1} within {PING_WAIT:.0f} s "
                                    "(replies held until half-close?)")
                if kind == "error":
                    raise value
                if kind == "end":
                    raise CallError(f"stream ended OK after {len(replies)} replies")
                replies.append(value)
        finally:
            outbox.put(done)
        kind, value = inbox.get(timeout=DEADLINE + 1)
        if kind == "error":
            raise value
        if kind == "reply":
            raise CallError(f"unexpected extra reply {value!r}")
        return replies

    def check_health(self, service, token=None):
        return self.health(encode_health_request(service), timeout=DEADLINE,
                           metadata=_meta(token))


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

class Runner:
    def __init__(self):
        self.rows = []

    def record(self, name, expected, got, ok):
        self.rows.append({"case": name, "expected": expected, "got": got,
                          "result": "PASS" if ok else "FAIL"})

    def expect_ok(self, name, fn, check, expected="OK", show=lambda result: "OK"):
        """fn() must succeed; check(result) returns None or a complaint."""
        start = time.monotonic()
        try:
            result = fn()
        except Exception as err:  # noqa: BLE001
            code, details = _status(err)
            self.record(name, expected, f"{code}: {details}"[:160], False)
            return
        problem = check(result)
        elapsed = time.monotonic() - start
        if problem:
            self.record(name, expected, problem[:160], False)
        else:
            self.record(name, expected, f"{show(result)} ({elapsed * 1000:.0f} ms)", True)

    def expect_error(self, name, fn, code, mention=None):
        """fn() must fail with `code`; details must mention `mention` if set."""
        try:
            result = fn()
        except Exception as err:  # noqa: BLE001
            got, details = _status(err)
            ok = got == code and (mention is None or mention in details.lower())
            suffix = f" ({details[:100]})" if details else ""
            if got == code and not ok:
                suffix += f" [details do not mention '{mention}']"
            self.record(name, code, got + suffix, ok)
            return
        self.record(name, code, f"OK {_short(result)}", False)


def _short(result):
    text = repr(result)
    return text if len(text) <= 100 else text[:97] + "..."


def check_replies(expected_names):
    """Each reply i must contain expected_names[i]; count must match."""
    def check(replies):
        if len(replies) != len(expected_names):
            return f"{len(replies)} replies, expected {len(expected_names)}: {_short(replies)}"
        for i, (reply, name) in enumerate(zip(replies, expected_names)):
            if name not in reply:
                return f"reply {i + 1} {reply!r} lacks {name!r}"
        return None
    return check


def check_in_order(names):
    def check(replies):
        if len(replies) != 1:
            return f"{len(replies)} replies, expected 1"
        reply, pos = replies[0], 0
        for name in names:
            found = reply.find(name, pos)
            if found < 0:
                return f"{reply!r} lacks {name!r} (in order)"
            pos = found + len(name)
        return None
    return check


def run_all(g, tokens):
    r = Runner()
    tok = tokens.valid()

    # ---- valid calls, content and order --------------------------------
    r.expect_ok("SayHello valid", lambda: g.say_hello(tok, "alice"), check_replies(["alice"]))
    r.expect_ok("SayHello valid, aud array", lambda: g.say_hello(
        tokens.valid(aud=["other.Service", tokens.audience]), "alice"),
        check_replies(["alice"]))
    r.expect_ok("SayHello unicode name", lambda: g.say_hello(tok, "Zoë 世界"),
                check_replies(["Zoë 世界"]))
    r.expect_ok("SayHello 256-char name", lambda: g.say_hello(tok, "m" * 256),
                check_replies(["m" * 256]))
    r.expect_ok("SayHelloStream count 0 -> 3", lambda: g.say_hello_stream(tok, "bob"),
                check_replies(["bob"] * 3))
    r.expect_ok("SayHelloStream count 5", lambda: g.say_hello_stream(tok, "bob", 5),
                check_replies(["bob"] * 5))
    r.expect_ok("SayHelloStream count 100", lambda: g.say_hello_stream(tok, "bob", 100),
                check_replies(["bob"] * 100))
    cs_names = ["alpha-1", "bravo-2", "charlie-3"]
    r.expect_ok("SayHelloClientStream 3 names in order",
                lambda: g.say_hello_client_stream(tok, cs_names), check_in_order(cs_names))
    r.expect_ok("SayHelloClientStream 1 name",
                lambda: g.say_hello_client_stream(tok, ["solo-7"]), check_in_order(["solo-7"]))
    bidi_names = ["delta-1", "echo-2", "foxtrot-3", "golf-4"]
    r.expect_ok("SayHelloBidirectional ping-pong",
                lambda: g.bidi_ping_pong(tok, bidi_names), check_replies(bidi_names))

    # ---- stream count bounds ----------------------------------------------
    r.expect_error("SayHelloStream count 101", lambda: g.say_hello_stream(tok, "bob", 101),
                   INVALID_ARGUMENT)
    r.expect_error("SayHelloStream count -1", lambda: g.say_hello_stream(tok, "bob", -1),
                   INVALID_ARGUMENT)

    # ---- authentication -----------------------------------------------------
    for label, bad in tokens.bad_cases():
        r.expect_error(f"SayHello {label}", lambda b=bad: g.say_hello(b, "alice"),
                       UNAUTHENTICATED)
        r.expect_error(f"SayHelloStream {label}",
                       lambda b=bad: g.say_hello_stream(b, "alice"), UNAUTHENTICATED)
        r.expect_error(f"SayHelloClientStream {label}",
                       lambda b=bad: g.say_hello_client_stream(b, ["a", "b"]), UNAUTHENTICATED)
        r.expect_error(f"SayHelloBidirectional {label}",
                       lambda b=bad: g.bidi_ping_pong(b, ["a"]), UNAUTHENTICATED)

    # ---- name validation ----------------------------------------------------
    for label, name in (("blank name", "  \t "), ("empty name", ""),
                        ("257-char name", LONG_NAME)):
        r.expect_error(f"SayHello {label}", lambda n=name: g.say_hello(tok, n),
                       INVALID_ARGUMENT, mention="name")
        r.expect_error(f"SayHelloStream {label}", lambda n=name: g.say_hello_stream(tok, n),
                       INVALID_ARGUMENT, mention="name")
        r.expect_error(f"SayHelloClientStream {label} (2nd of 3)",
                       lambda n=name: g.say_hello_client_stream(tok, ["ok-1", n, "ok-3"]),
                       INVALID_ARGUMENT, mention="name")
        # ping-pong: first name is answered, then the bad one ends the call
        r.expect_error(f"SayHelloBidirectional {label} (after 1 good)",
                       lambda n=name: g.bidi_ping_pong(tok, ["ok-1", n]),
                       INVALID_ARGUMENT, mention="name")

    # ---- message size ---------------------------------------------------------
    r.expect_error("SayHello 5 MiB name", lambda: g.say_hello(tok, OVERSIZED_NAME),
                   RESOURCE_EXHAUSTED)
    r.expect_error("SayHelloStream 5 MiB name",
                   lambda: g.say_hello_stream(tok, OVERSIZED_NAME), RESOURCE_EXHAUSTED)
    r.expect_error("SayHelloClientStream 5 MiB name (2nd of 2)",
                   lambda: g.say_hello_client_stream(tok, ["ok-1", OVERSIZED_NAME]),
                   RESOURCE_EXHAUSTED)
    r.expect_error("SayHelloBidirectional 5 MiB name (after 1 good)",
                   lambda: g.bidi_ping_pong(tok, ["ok-1", OVERSIZED_NAME]), RESOURCE_EXHAUSTED)
    r.expect_ok("SayHello after oversized message", lambda: g.say_hello(tok, "after"),
                check_replies(["after"]))

    # ---- health ---------------------------------------------------------------
    for service in ("", "helloworld.Greeter"):
        r.expect_ok(f"Health Check '{service}' without token",
                    lambda s=service: g.check_health(s),
                    lambda st: None if st == "SERVING" else f"status {st}",
                    expected="SERVING", show=lambda st: st)
    return r


def run_expiry(g, tokens, wait):
    """Opt-in: a bidi stream whose token expires must be ended UNAUTHENTICATED."""
    r = Runner()
    now = int(time.time())
    tok = tokens.valid(iat=now, exp=now + 1)
    outbox = queue.Queue()
    done = object()

    def requests():
        while True:
            item = outbox.get()
            if item is done:
                return
            yield item

    call = g.bidi(requests(), timeout=wait, metadata=_meta(tok))
    got, ok = "", False
    try:
        outbox.put(encode_hello_request("early"))
        first = next(call)
        if "early" not in first:
            got = f"first reply {first!r}"
        else:
            # Keep the stream open and idle; the server must end it.
            extra = list(call)
            got = f"stream ended OK with {len(extra)} extra replies"
    except grpc.RpcError as err:
        code, details = _status(err)
        got = f"{code} ({details[:80]})"
        ok = code == UNAUTHENTICATED
    finally:
        outbox.put(done)
    r.record(f"SayHelloBidirectional token expires mid-stream (<= {wait:.0f} s)",
             UNAUTHENTICATED, got, ok)
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True, help="host:port of the Greeter server")
    p.add_argument("--ca", help="CA certificate(s) to trust (PEM); default: system roots")
    p.add_argument("--server-name", help="override the TLS name checked against the cert")
    p.add_argument("--secret-file", help="file holding the HS256 secret")
    p.add_argument("--secret", help="HS256 secret as a string")
    p.add_argument("--issuer", default="greeter")
    p.add_argument("--audience", default="helloworld.Greeter")
    p.add_argument("--json", action="store_true", help="print rows as JSON instead of a table")
    p.add_argument("--expiry-check", type=float, metavar="SECONDS", default=0,
                   help="also check that a stream is ended when its token expires, "
                        "waiting at most SECONDS (needs > 1 + the server's leeway); off by default")
    args = p.parse_args()

    if args.secret_file:
        with open(args.secret_file, "rb") as f:
            secret = f.read()
        if secret.endswith(b"\r\n"):
            secret = secret[:-2]
        elif secret.endswith(b"\n"):
            secret = secret[:-1]
    elif args.secret is not None:
        secret = args.secret.encode()
    else:
        p.error("--secret-file or --secret is required")

    root = None
    if args.ca:
        with open(args.ca, "rb") as f:
            root = f.read()
    options = [("grpc.max_send_message_length", -1),
               ("grpc.max_receive_message_length", 8 * 1024 * 1024)]
    if args.server_name:
        options.append(("grpc.ssl_target_name_override", args.server_name))
    channel = grpc.secure_channel(args.target, grpc.ssl_channel_credentials(root), options)

    started = time.monotonic()
    tokens = Tokens(secret, args.issuer, args.audience)
    try:
        grpc.channel_ready_future(channel).result(timeout=DEADLINE)
    except grpc.FutureTimeoutError:
        print(f"could not connect to {args.target} within {DEADLINE:.0f} s", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    g = Greeter(channel)
    rows = run_all(g, tokens).rows
    if args.expiry_check > 0:
        rows += run_expiry(g, tokens, args.expiry_check).rows
    channel.close()
    elapsed = time.monotonic() - started

    passed = sum(1 for row in rows if row["result"] == "PASS")
    failed = len(rows) - passed
    if args.json:
        # JSON Lines: one object per case; the last line stays the summary.
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        w1 = max(len(row["case"]) for row in rows)
        w2 = max(len(row["expected"]) for row in rows)
        w3 = min(60, max(len(row["got"]) for row in rows))
        for row in rows:
            print(f"{row['case']:<{w1}}  {row['expected']:<{w2}}  "
                  f"{row['got']:<{w3}}  {row['result']}")
    print(f"# {len(rows)} cases in {elapsed:.2f} s", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
