"""A small HTTP client for the console in tests: it keeps cookies itself (httpx, like any
client, would not send `Secure` cookies over http://127.0.0.1) and picks form tokens out of
pages."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx

from review_fixtures import PASSWORD

TOKEN = re.compile(r'name="(csrf_token|form_token)" value="([^"]+)"')


class Console:
    def __init__(self, base_url: str):
        self.http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def _keep(self, r: httpx.Response) -> httpx.Response:
        for header in r.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if m := TOKEN.search(r.text):
            if m.group(1) == "csrf_token":
                self.csrf = m.group(2)
            else:
                self.form_token = m.group(2)
        return r

    def _headers(self, extra: dict | None = None) -> dict:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**({"cookie": cookie} if cookie else {}), **(extra or {})}

    def get(self, path: str, **kw) -> httpx.Response:
        return self._keep(self.http.get(path, headers=self._headers(kw.pop("headers", None)), **kw))

    def post(self, path: str, data: dict | list | None = None, csrf: bool = True, headers: dict | None = None) -> httpx.Response:
        body = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            body.append(("csrf_token", self.csrf))
        form = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
        return self._keep(self.http.post(path, content=urlencode(body), headers=self._headers(form)))

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/console/login")
        return self.post("/console/login", {"form_token": self.form_token, "username": username, "password": password,
                                            "next": "/console/queue"}, csrf=False)
