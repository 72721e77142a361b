"""The console: where facilitators run drills and trainees work the incident.

A FastAPI app (JSON API, server-rendered pages, Server-Sent Events) served by
uvicorn in the drill's own asyncio loop. `create_app(session)` builds it for a
`ConsoleSession`; `serve_session` runs it; `visibility` keeps the answer key
away from trainees.
"""
