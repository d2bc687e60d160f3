"""Administration: people and their roles, and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..review.roles import ROLES, Can
from ..review.staff import StaffError
from .access import Caller, action, page, review
from .pages import render

router = APIRouter()


async def _staff_page(request: Request, caller: Caller, status: int = 200, error: str | None = None,
                      done: str | None = None, form: dict | None = None) -> Response:
    people = await run_in_threadpool(review(request).staff.list)
    return render(request, "staff.html", status, caller=caller, people=people, roles=ROLES, error=error, done=done,
                  form=form or {})


@router.get("/console/staff")
async def staff(request: Request) -> Response:
    caller = await page(request, Can.MANAGE_STAFF)
    return await _staff_page(request, caller, done=request.query_params.get("done"))


@router.post("/console/staff")
async def create_staff(request: Request) -> Response:
    caller, form, pairs = await action(request, Can.MANAGE_STAFF)
    roles = [v for k, v in pairs if k == "roles"]
    try:
        await run_in_threadpool(review(request).staff.create, form.get("username", ""), form.get("display_name", ""),
                                form.get("password", ""), roles, caller.staff.actor)
    except StaffError as exc:
        return await _staff_page(request, caller, 400, str(exc), form={k: v for k, v in form.items() if k != "password"})
    return RedirectResponse("/console/staff?done=created", status_code=303)


@router.post("/console/staff/{username}/roles")
async def set_roles(request: Request, username: str) -> Response:
    caller, _, pairs = await action(request, Can.MANAGE_STAFF)
    roles = [v for k, v in pairs if k == "roles"]
    if username == caller.staff.username and "admin" not in roles:
        return await _staff_page(request, caller, 400, "You cannot remove your own administrator role.")
    try:
        await run_in_threadpool(review(request).staff.set_roles, username, roles, caller.staff.actor)
    except StaffError as exc:
        return await _staff_page(request, caller, 400, str(exc))
    return RedirectResponse("/console/staff?done=roles", status_code=303)


@router.post("/console/staff/{username}/active")
async def set_active(request: Request, username: str) -> Response:
    caller, form, _ = await action(request, Can.MANAGE_STAFF)
    active = form.get("active") == "yes"
    if username == caller.staff.username and not active:
        return await _staff_page(request, caller, 400, "You cannot disable yourself.")
    try:
        await run_in_threadpool(review(request).staff.set_active, username, active, caller.staff.actor)
    except StaffError as exc:
        return await _staff_page(request, caller, 400, str(exc))
    return RedirectResponse(f"/console/staff?done={'enabled' if active else 'disabled'}", status_code=303)


@router.post("/console/staff/{username}/password")
async def reset_password(request: Request, username: str) -> Response:
    caller, form, _ = await action(request, Can.MANAGE_STAFF)
    try:
        await run_in_threadpool(review(request).staff.set_password, username, form.get("password", ""), caller.staff.actor)
    except StaffError as exc:
        return await _staff_page(request, caller, 400, str(exc))
    return RedirectResponse("/console/staff?done=password", status_code=303)


@router.get("/console/audit")
async def audit_log(request: Request, subject: str = "", before: str | None = None) -> Response:
    caller = await page(request, Can.AUDIT)
    entries = await run_in_threadpool(review(request).lookup.audit_entries, subject[:120] or None,
                                      int(before) if before and before.isdigit() else None)
    return render(request, "audit.html", caller=caller, entries=entries, subject=subject[:120])
