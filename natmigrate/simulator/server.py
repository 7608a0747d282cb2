"""HTTPS on 127.0.0.1: ARM routing, long-running-operation headers, paging, faults, the request log.

Paths are matched case-insensitively, as ARM does. Only api-versions the REST specs publish for an
operation are accepted (:mod:`natmigrate.simulator.apiversions`). Every error is an ARM error body;
nothing a client sends can end the server thread.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, quote

from natmigrate.ids import id_key
from natmigrate.lb_layout import COLLECTIONS
from natmigrate.simulator.apiversions import check_api_version
from natmigrate.simulator.armerror import ArmError, not_found
from natmigrate.simulator.clock import SimClock
from natmigrate.simulator.faults import Fault
from natmigrate.simulator.records import CrashCallback, RequestRecord
from natmigrate.simulator.world import LB, NIC, VM, VMSS, World

PAGE_SIZE = 100
MAX_BODY = 16 * 2**20
_TYPES = {
    ("microsoft.network", "loadbalancers"): LB,
    ("microsoft.network", "networkinterfaces"): NIC,
    ("microsoft.compute", "virtualmachinescalesets"): VMSS,
    ("microsoft.compute", "virtualmachines"): VM,
}
_LB_READ_COLLECTIONS = (
    "inboundnatrules",
    "backendaddresspools",
    "frontendipconfigurations",
    "loadbalancingrules",
    "probes",
    "outboundrules",
)


@dataclass(slots=True)
class Reply:
    """One HTTP answer."""

    status: int
    body: Any = None  # JSON-able, or None for no body
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering


@dataclass(slots=True)
class Request:
    """One parsed request."""

    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    base: str  # https://host:port

    @property
    def api_version(self) -> str:
        return (self.query.get("api-version") or [""])[0]

    def json(self) -> Any:
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ArmError(
                400,
                "InvalidRequestContent",
                f"The request content was invalid and could not be deserialized: {exc}",
            ) from None


# A world's write: (status, GET body, operation) for an id and a body.
_Put = Callable[..., tuple[int, dict[str, Any], dict[str, Any]]]


def is_write(method: str, path: str) -> bool:
    """Whether a request changes state (the mapping query is a read)."""
    if method in ("PUT", "PATCH", "DELETE"):
        return True
    return method == "POST" and not path.lower().endswith("/queryinboundnatruleportmapping")


class Simulator(Protocol):
    """What the server needs of the simulator it serves (``service.Simulator`` is one). The server
    depends on this shape, not on the service module, so that imports run one way: service ->
    server."""

    clock: SimClock
    lro_style: str
    page_size: int
    hold_clock_while_serving: bool
    on_crash: CrashCallback | None

    @property
    def _world(self) -> World: ...

    @property
    def _lock(self) -> contextlib.AbstractContextManager[Any]: ...

    def _saw_token(self, token: str) -> None: ...

    def _match_fault(self, method: str, path: str) -> Fault | None: ...

    def _record(self, record: RequestRecord) -> None: ...


# ====================================================================== routing


class Router:
    """Turns requests into :class:`World` calls and :class:`Reply` objects."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    @property
    def world(self) -> World:
        return self.sim._world

    def handle(self, req: Request, fault: Fault | None) -> Reply:
        """Answer one request (the caller holds the simulator's lock)."""
        fail = fault is not None and fault.outcome == "lro-failed"
        self.world.advance()
        segs = [s for s in req.path.split("/") if s]
        low = [s.lower() for s in segs]
        if len(low) < 2 or low[0] != "subscriptions":
            raise ArmError(404, "InvalidResourceType", f"No route for {req.method} {req.path}.")
        if low[1] != self.world.subscription_id.lower():
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{segs[1]}' could not be found.")
        check_api_version(low[2:], segs[2:], req.api_version, lambda: self._location_of(segs))
        # operation status: /subscriptions/S/providers/NS/locations/L/operations|operationResults/ID
        if (
            len(low) == 8
            and low[2] == "providers"
            and low[4] == "locations"
            and low[6] in ("operations", "operationresults")
        ):
            return self.poll(req, segs[7], location=low[6] == "operationresults")
        self.world.note_activity()
        # subscription-wide list: /subscriptions/S/providers/NS/TYPE
        if len(low) == 5 and low[2] == "providers":
            rtype = _TYPES.get((low[3], low[4]))
            if rtype is None or req.method != "GET":
                raise _no_route(req)
            return self.page(req, self.world.list_type(rtype, None))
        if len(low) < 7 or low[2] != "resourcegroups" or low[4] != "providers":
            raise _no_route(req)
        rtype = _TYPES.get((low[5], low[6]))
        if rtype is None:
            raise ArmError(
                404,
                "InvalidResourceType",
                f"The resource type '{segs[6]}' could not be found in the namespace '{segs[5]}'.",
            )
        if len(low) == 7:
            if req.method != "GET":
                raise _no_route(req)
            return self.page(req, self.world.list_type(rtype, segs[3]))
        rid = "/" + "/".join(segs[:8])
        rest, rest_low = segs[8:], low[8:]
        if rtype == LB:
            return self.load_balancer(req, rid, rest, rest_low, fail)
        if rtype == NIC:
            return self.nic(req, rid, rest, rest_low, fail)
        if rtype == VMSS:
            return self.scale_set(req, rid, rest, rest_low, fail)
        if rest or req.method != "GET":
            raise _no_route(req)
        return Reply(200, self.world.view(id_key(rid)))

    def _location_of(self, segs: list[str]) -> str | None:
        """Location of the resource a path addresses (for ARM's error wording), if it exists."""
        if len(segs) < 8 or segs[2].lower() != "resourcegroups":
            return None
        try:
            location = self.world.get_any("/" + "/".join(segs[:8])).get("location")
        except ArmError:
            return None
        return location if isinstance(location, str) else None

    # ---------------------------------------------------------------- load balancers

    def load_balancer(self, req: Request, rid: str, rest: list[str], low: list[str], fail: bool) -> Reply:
        w, m = self.world, req.method
        key = id_key(rid)
        if not rest:
            return self._whole(req, rid, fail, w.put_lb, w.delete_lb)
        if len(rest) == 1:
            if m != "GET":
                raise _method(req)
            if low[0] == "networkinterfaces":
                return self.page(req, w.lb_nics(key))
            if low[0] in _LB_READ_COLLECTIONS:
                coll = next(c for c in COLLECTIONS if c.lower() == low[0])
                return self.page(req, list(w.view(key)["properties"][coll]))
            raise _no_route(req)
        if len(rest) == 2 and low[0] in _LB_READ_COLLECTIONS:
            if m == "GET":
                return Reply(200, w.lb_child(key, rest[0], rest[1]))
            if low[0] not in ("inboundnatrules", "backendaddresspools"):
                raise _method(req)
            if m == "PUT":
                return self._put(req, rid, fail, w.put_lb, child=(rest[0], rest[1]))
            if m == "DELETE":
                return self.accepted(
                    req,
                    w.delete_lb_child(rid, rest[0], rest[1], if_match=req.headers.get("if-match"), fail=fail),
                )
            raise _method(req)
        if len(rest) == 3 and low[0] == "backendaddresspools" and low[2] == "queryinboundnatruleportmapping":
            if m != "POST":
                raise _method(req)
            return self.accepted(req, w.start_query(rid, rest[1], req.json(), fail))
        raise _no_route(req)

    # ---------------------------------------------------------------- NICs

    def nic(self, req: Request, rid: str, rest: list[str], low: list[str], fail: bool) -> Reply:
        w, m = self.world, req.method
        key = id_key(rid)
        if not rest:
            return self._whole(req, rid, fail, w.put_nic, w.delete_nic)
        if low[0] == "ipconfigurations" and m == "GET" and len(rest) <= 2:
            ipcs = w.view(key)["properties"].get("ipConfigurations") or []
            if len(rest) == 1:
                return self.page(req, ipcs)
            found = next((i for i in ipcs if str(i.get("name", "")).lower() == low[1]), None)
            if found is None:
                raise not_found(f"{rid}/ipConfigurations/{rest[1]}", "NotFound")
            return Reply(200, found)
        raise _no_route(req)

    # ---------------------------------------------------------------- scale sets

    def scale_set(self, req: Request, rid: str, rest: list[str], low: list[str], fail: bool) -> Reply:
        w, m = self.world, req.method
        key = id_key(rid)
        if not rest:
            if m == "GET":
                return Reply(200, w.view(key))
            if m in ("PUT", "PATCH"):
                return self._put(req, rid, fail, w.put_vmss, patch=m == "PATCH")
            raise _method(req)
        if low == ["manualupgrade"]:
            if m != "POST":
                raise _method(req)
            return self.accepted(req, w.manual_upgrade(rid, req.json(), fail=fail))
        if m != "GET":
            raise _method(req)
        expand = "instanceview" in (req.query.get("$expand") or [""])[0].lower()
        if low == ["virtualmachines"]:
            if "$skiptoken" not in req.query and self.sim.clock.modelled:
                w.wait_for_scale_set(key)
            return self.page(req, w.list_instances(key, expand))
        if low == ["networkinterfaces"]:
            return self.page(req, w.scale_set_nics(key, None))
        if len(low) >= 2 and low[0] == "virtualmachines":
            iid = rest[1]
            if len(low) == 2:
                return Reply(200, w.instance_view(key, iid, expand))
            if low[2] == "networkinterfaces":
                nics = w.scale_set_nics(key, iid)
                if len(low) == 3:
                    return self.page(req, nics)
                nic = next((n for n in nics if str(n["name"]).lower() == low[3]), None)
                if nic is None:
                    raise not_found(f"{rid}/virtualMachines/{iid}/networkInterfaces/{rest[3]}", "NotFound")
                if len(low) == 4:
                    return Reply(200, nic)
                if low[4] == "ipconfigurations":
                    ipcs = nic["properties"]["ipConfigurations"]
                    if len(low) == 5:
                        return self.page(req, ipcs)
                    ipc = next((i for i in ipcs if str(i["name"]).lower() == low[5]), None)
                    if ipc is not None and len(low) == 6:
                        return Reply(200, ipc)
                    raise not_found(req.path, "NotFound")
        raise _no_route(req)

    # ---------------------------------------------------------------- writes

    def _whole(
        self, req: Request, rid: str, fail: bool, put: _Put, delete: Callable[..., dict[str, Any] | None]
    ) -> Reply:
        """GET, PUT or DELETE of a whole resource."""
        if req.method == "GET":
            return Reply(200, self.world.view(id_key(rid)))
        if req.method == "PUT":
            return self._put(req, rid, fail, put)
        if req.method == "DELETE":
            return self.accepted(req, delete(rid, if_match=req.headers.get("if-match"), fail=fail))
        raise _method(req)

    def _put(self, req: Request, rid: str, fail: bool, put: _Put, **extra: Any) -> Reply:
        """A conditional PUT (or PATCH) of the request's body; a PATCH answers 200."""
        status, body, op = put(
            rid,
            req.json(),
            if_match=req.headers.get("if-match"),
            if_none_match=req.headers.get("if-none-match"),
            fail=fail,
            **extra,
        )
        return self.accepted(req, op, 200 if req.method == "PATCH" else status, body)

    # ---------------------------------------------------------------- long-running operations

    def accepted(
        self, req: Request, op: dict[str, Any] | None, status: int | None = None, body: Any = None
    ) -> Reply:
        """The initial answer of a long-running operation (``None`` op: DELETE of nothing -> 204)."""
        if op is None:
            return Reply(204)
        ns = op.get("namespace", "Microsoft.Network")
        loc = quote(op["location"])
        base = f"{req.base}/subscriptions/{self.world.subscription_id}/providers/{ns}/locations/{loc}"
        api = f"?api-version={quote(req.api_version)}" if req.api_version else ""
        async_url = f"{base}/operations/{op['id']}{api}"
        location_url = f"{base}/operationResults/{op['id']}{api}"
        headers = {"Retry-After": "0", "x-ms-request-id": op["id"]}
        style = self.sim.lro_style
        if status is None:  # DELETE and POST actions: 202
            if style == "async":
                headers["Azure-AsyncOperation"] = async_url
            headers["Location"] = location_url
            return Reply(202, None, headers)
        if style == "async":
            headers["Azure-AsyncOperation"] = async_url
        else:
            headers["Location"] = location_url
        return Reply(status, body, headers)

    def poll(self, req: Request, op_id: str, location: bool) -> Reply:
        op = self.world.operations.get(op_id)
        if op is None:
            raise not_found(f"operation {op_id}")
        grace = self.world.wait_for(float(op["doneAt"]), op_id) if op["status"] == "InProgress" else 0.0
        headers = {}
        if op["status"] == "InProgress":
            remaining = float(op["doneAt"]) - self.sim.clock.now()
            real = grace if self.sim.clock.modelled else self.sim.clock.real_seconds(remaining)
            if real < 0.001:
                headers["Retry-After"] = "0"
            else:
                # Retry-After counts whole seconds; the SDK also honours retry-after-ms, which lets a
                # sped-up clock keep polls few without sleeping longer than needed.
                headers["retry-after-ms"] = str(
                    max(1, min(5000, math.ceil(real * 1000)) if math.isfinite(real) else 50)
                )
            if location:
                headers["Location"] = f"{req.base}{req.path}" + (f"?{req.raw_query}" if req.raw_query else "")
                return Reply(202, None, headers)
            return Reply(200, {"id": op_id, "name": op_id, "status": "InProgress"}, headers)
        if not location:
            body: dict[str, Any] = {"id": op_id, "name": op_id, "status": op["status"]}
            if op.get("error"):
                body["error"] = op["error"]
            return Reply(200, body)
        if op.get("error"):
            return Reply(400, {"error": op["error"]})
        if op.get("result") is not None:
            return Reply(200, op["result"])
        if op.get("resultId") and int(op.get("resultStatus", 200)) == 200:
            return Reply(200, self.world.get_any(op["resultId"]))
        return Reply(204)

    # ---------------------------------------------------------------- paging

    def page(self, req: Request, items: list[Any]) -> Reply:
        """One page of a list; ``nextLink`` carries ``$skiptoken`` when more follow."""
        try:
            skip = int((req.query.get("$skiptoken") or ["0"])[0])
        except ValueError:
            raise ArmError(400, "InvalidSkipToken", "The $skiptoken is not valid.") from None
        size = self.sim.page_size
        chunk = items[skip : skip + size]
        body: dict[str, Any] = {"value": chunk}
        if skip + size < len(items):
            api = f"api-version={quote(req.api_version)}&" if req.api_version else ""
            extra = "&$expand=" + quote(req.query["$expand"][0]) if "$expand" in req.query else ""
            body["nextLink"] = f"{req.base}{req.path}?{api}$skiptoken={skip + size}{extra}"
        return Reply(200, body)


def _no_route(req: Request) -> ArmError:
    return ArmError(404, "InvalidResourceType", f"No route for {req.method} {req.path}.")


def _method(req: Request) -> ArmError:
    return ArmError(
        405, "MethodNotAllowed", f"The requested method {req.method} is not allowed on {req.path}."
    )


# ====================================================================== HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sim: Simulator, addr: tuple[str, int], context: ssl.SSLContext) -> None:
        super().__init__(addr, _Handler)
        self.sim = sim
        self.router = Router(sim)
        self.context = context
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._conns_lock:
            self._conns.add(tls)
        return tls, addr

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        """Close every open connection, keep-alive ones included."""
        with self._conns_lock:
            conns = list(self._conns)
            self._conns.clear()
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                c.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client-side disconnects and TLS errors are not the server's business: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without it each request costs ~40 ms (Nagle + delayed ACK)
    server: _Server

    def setup(self) -> None:
        conn = self.request
        conn.settimeout(120)  # idle keep-alive connections close after two minutes
        conn.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: headers may carry secrets."""

    def handle_one_request(self) -> None:
        self._held: contextlib.AbstractContextManager[None] | None = None
        try:
            super().handle_one_request()
        finally:
            if self._held is not None:
                self._held.__exit__(None, None, None)
                self._held = None

    def parse_request(self) -> bool:
        # The request line is in: from here until the answer is sent, the time is the simulator's
        # own (parsing, TLS, JSON), which Simulator(hold_clock_while_serving=True) leaves out.
        if self.server.sim.hold_clock_while_serving and self._held is None:
            self._held = self.server.sim.clock.held()
            self._held.__enter__()
        return super().parse_request()

    def _serve(self) -> None:
        sim = self.server.sim
        started, started_cpu = time.perf_counter(), time.thread_time()
        arrival_real = time.time()
        sim_time = sim.clock.now()
        raw_path, _, raw_query = self.path.partition("?")
        method = self.command.upper()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._send(Reply(400, ArmError(400, "InvalidRequestContent", "Bad Content-Length.").body()))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        auth = headers.get("authorization", "")
        fault = None
        reply: Reply
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            err = ArmError(
                401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
            )
            reply = Reply(401, err.body())
        else:
            sim._saw_token(auth[7:].strip())
            fault = sim._match_fault(method, raw_path)
            reply = self._dispatch(method, raw_path, raw_query, headers, body, fault)
        data = _encode(reply)
        record = RequestRecord(
            method=method,
            path=raw_path,
            query=raw_query,
            status=0 if reply.drop else reply.status,
            sim_time=sim_time,
            real_time=arrival_real,
            write=is_write(method, raw_path),
            fault=fault.outcome if fault else None,
            serve_s=time.perf_counter() - started,
            serve_cpu_s=time.thread_time() - started_cpu,
        )
        sim._record(record)
        if fault is not None and fault.outcome == "crash" and sim.on_crash is not None:
            sim.on_crash(record)
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(reply, data)

    def _dispatch(
        self,
        method: str,
        path: str,
        raw_query: str,
        headers: dict[str, str],
        body: bytes,
        fault: Fault | None,
    ) -> Reply:
        sim = self.server.sim
        if fault is not None:
            if fault.outcome == "drop":
                return Reply(0, drop=True)
            if fault.latency:
                time.sleep(fault.latency)
            canned = _canned(fault)
            if canned is not None:
                return canned
        req = Request(
            method=method,
            path=path,
            query=parse_qs(raw_query, keep_blank_values=True),
            raw_query=raw_query,
            headers=headers,
            body=body,
            base=f"https://{headers.get('host') or '127.0.0.1'}",
        )
        try:
            with sim._lock:
                reply = self.server.router.handle(req, fault)
        except ArmError as err:
            reply = Reply(err.status, err.body(), dict(err.headers))
        except Exception as exc:  # never let a request end the server thread
            reply = Reply(
                500,
                ArmError(500, "InternalServerError", f"Simulator error: {type(exc).__name__}: {exc}").body(),
            )
        if fault is not None and fault.outcome == "crash":
            reply.drop = True
        return reply

    def _send(self, reply: Reply, data: bytes | None = None) -> None:
        if data is None:
            data = _encode(reply)
        self.send_response(reply.status)
        if reply.body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-ratelimit-remaining-subscription-writes", "1199")
        for k, v in reply.headers.items():
            self.send_header(k, v)
        # Headers and body in one TLS record and one send: half the syscalls of end_headers() + write().
        self._headers_buffer.append(b"\r\n" + data)  # type: ignore[attr-defined]
        self.flush_headers()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = _serve  # noqa: N815 - http.server naming

    def do_HEAD(self) -> None:
        self._send(Reply(405, ArmError(405, "MethodNotAllowed", "HEAD is not supported.").body()))


def _encode(reply: Reply) -> bytes:
    """The body of an answer on the wire."""
    return b"" if reply.body is None else json.dumps(reply.body, separators=(",", ":")).encode()


def _canned(fault: Fault) -> Reply | None:
    """The answer of a fault that does not reach the simulated Azure."""
    outcome = fault.outcome
    if outcome == "429":
        ra = fault.retry_after
        value = str(int(ra)) if float(ra).is_integer() else str(ra)
        return Reply(
            429,
            ArmError(429, "TooManyRequests", "Too many requests (simulated fault).").body(),
            {"Retry-After": value},
        )
    if outcome == "500":
        return Reply(
            500, ArmError(500, "InternalServerError", "Internal server error (simulated fault).").body()
        )
    if outcome == "503":
        return Reply(
            503, ArmError(503, "ServiceUnavailable", "Service unavailable (simulated fault).").body()
        )
    if outcome == "409":
        return Reply(
            409,
            ArmError(
                409,
                "AnotherOperationInProgress",
                "Another operation on this or dependent resource is in progress (simulated fault).",
            ).body(),
        )
    if outcome == "412":
        return Reply(
            412,
            ArmError(
                412,
                "PreconditionFailed",
                "The condition specified using HTTP conditional header(s) is not met (simulated fault).",
            ).body(),
        )
    return None


def make_server(sim: Simulator, host: str, port: int, cert: Path, key: Path) -> _Server:
    """An HTTPS server for ``sim`` bound to ``host:port`` (0 = a free port); not yet serving."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the simulator serves on loopback only")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return _Server(sim, (host, port), context)
