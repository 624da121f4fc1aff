"""Which emulated account belongs to which AWS organisation, for aws:PrincipalOrgID.

moto's Organizations creates an organisation and member accounts with ids of its own, so it cannot
hold the configured organization_id and the four configured accounts; the sandbox keeps the
membership here instead (set through ``PUT /_mlgov/organization``, see server.py). Moving an account
out plays "an account outside the organisation" against the applied policies.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_members: dict[str, str] = {}  # account id -> organization id


def set_organization(organization_id: str | None, accounts: list[str]) -> None:
    """Replace the membership: these accounts are in organization_id (none if it is None)."""
    with _lock:
        _members.clear()
        if organization_id:
            _members.update(dict.fromkeys(accounts, organization_id))


def organization() -> dict[str, list[str] | str | None]:
    with _lock:
        ids = sorted(set(_members.values()))
        return {"id": ids[0] if ids else None, "accounts": sorted(_members)}


def principal_org_context(account: str) -> dict[str, list[str]]:
    """{"aws:principalorgid": [id]} for a member account's principals; {} (the key is absent) otherwise."""
    with _lock:
        organization_id = _members.get(account)
    return {"aws:principalorgid": [organization_id]} if organization_id else {}
