"""One request -> one trace with a span per stage, received by an OTLP/HTTP stand-in on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import MODEL

STAGES = {"input_rails", "retrieval", "generation", "output_rails"}


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    spans: list[tuple[bytes, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportTraceServiceRequest.FromString(body)
            for rs in request.resource_spans:
                for ss in rs.scope_spans:
                    spans.extend((s.trace_id, s.name) for s in ss.spans)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", spans
    server.shutdown()


@pytest.mark.llama
@pytest.mark.parametrize("stream", [False, True])
async def test_one_trace_with_a_span_per_stage(llama_engine: str, make_settings: Callable, gateway: Callable,
                                               collector: tuple[str, list], stream: bool) -> None:
    endpoint, spans = collector
    settings = make_settings(engine_url=llama_engine, otlp_endpoint=endpoint)
    async with gateway(settings) as client:
        r = await client.post("/v1/chat/completions", json={
            "model": MODEL, "max_tokens": 24, "stream": stream,
            "messages": [{"role": "user", "content": "What port does the gateway listen on?"}]})
        assert r.status_code == 200
    # Leaving the gateway ran its lifespan shutdown, which flushed the exporter.
    assert {trace_id for trace_id, _ in spans} and len({t for t, _ in spans}) == 1
    names = {name for _, name in spans}
    assert names >= STAGES | {"chat.completions"}
