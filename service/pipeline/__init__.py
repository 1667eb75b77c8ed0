"""The request's road and its stages, one small module each.

    road.py        the road, top to bottom in one function: check input -> retrieve (documents scanned) ->
                   generate -> check output -> decide
    inputs.py      input rails over every role, PII beside them, the size cap and the rail budget
    retrieval.py   search, and the document rail's verdicts on what was found
    generation.py  the engine's answer, each finished sentence fact-checked as it arrives
    output.py      the output fact-check (+ the LLM judge, recitation of the gateway's instructions)
    respond.py     the checked answer under the grounding policy, as an OpenAI body or a stream of chunks
    clock.py       stage timings, metrics and spans
"""
