"""Application bytes for the static scan's tests, and the best relevance the scan gave each host."""

from __future__ import annotations

from databorder.model import Observation

MINIFIED_JS = (
    b'var a=function(){return{baseURL:"https://api.chatvendor.com/v1/chat/completions",t:"telemetry.chatvendor.com"'
    b',x:res.map(e=>e.name),k:"settings.help",d:"https://developer.mozilla.org/en-US/docs/Web/API/fetch",'
    b'l:"https://www.apache.org/licenses/LICENSE-2.0",s:"//cdn.chatvendor.com/app.js",e:"https://example.com/x",'
    b'u:"api.example.test",i:"http://203.0.113.50:8080/upload"}};'
)


def best(observations: list[Observation]) -> dict[str, float]:
    found: dict[str, float] = {}
    for o in observations:
        key = o.host or str(o.ip)
        found[key] = max(found.get(key, 0), o.relevance)
    return found
