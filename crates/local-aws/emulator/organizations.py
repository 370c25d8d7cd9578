"""AWS Organizations as AWS documents it where S3Insights reads it, and an offline organization.

What AWS documents (Organizations API reference, `ListAccountsForParent`,
`ListOrganizationalUnitsForParent`): both are paged (`MaxResults` at most 20, `NextToken`; a caller
must follow `NextToken` until it is absent), and a `ParentId` that names no root or OU of the
organization is `ParentNotFoundException` ("We can't find a root or OU with the ParentId that you
specified."); an id of the wrong shape is `InvalidInputException`. IAM authorizes both on the
parent (`arn:aws:organizations::<management account>:root/<org id>/<root id>` or
`...:ou/<org id>/<ou id>`).

What ministack 1.5.33 does: every list in one page whatever `MaxResults`, an unknown parent an empty
list, and every Organizations action authorized on `organization/*`. This patch pages both lists
(20 by default, `NextToken` an offset), refuses unknown and malformed parents, and (in
`iam_resources.py`'s way) names the parent's ARN as the resource.

An offline organization: ministack invents one around the caller and creates accounts only with ids
of its own choosing. `POST /_offline/organizations/accounts` `{"accounts": [{"id", "parent", "state"}]}`
places accounts with the given ids under a root or OU (`state`: ACTIVE by default, or SUSPENDED,
PENDING_CLOSURE, CLOSED), so a test builds the organization its run reads; `GET` answers the
organization's id, roots and number of accounts.
"""

import json
import re
import time

MAX_RESULTS = 20
PARENT_ID = re.compile(r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")
STATES = ("ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED")


def _error(code, message):
    body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
    return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-errortype": code}, body


def _parent_problem(parent_id):
    from ministack.services import organizations as org

    if not parent_id or not PARENT_ID.match(parent_id):
        return _error("InvalidInputException",
                      f"You provided a value that does not match the required pattern: ParentId {parent_id!r}")
    if parent_id not in org._roots and parent_id not in org._ous:
        return _error("ParentNotFoundException",
                      "We can't find a root or OU with the ParentId that you specified.")
    return None


def _children(parent_id, key):
    """The accounts or OUs directly under `parent_id`, as the API shows them."""
    from ministack.services import organizations as org

    if key == "Accounts":
        return [org._public_account(a) for a in org._accounts.values() if a.get("_ParentId") == parent_id]
    return [org._public_ou(o) for o in org._ous.values() if o.get("_ParentId") == parent_id]


def _paged(key):
    def paged(payload):
        from ministack.services import organizations as org

        org._ensure_org()
        parent_id = payload.get("ParentId")
        problem = _parent_problem(parent_id)
        if problem:
            return problem
        limit = payload.get("MaxResults") or MAX_RESULTS
        if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
            return _error("InvalidInputException", f"MaxResults must be 1 to {MAX_RESULTS}")
        try:
            start = int(payload.get("NextToken") or 0)
        except ValueError:
            return _error("InvalidInputException", "The specified NextToken is not valid.")
        items = _children(parent_id, key)
        page = {key: items[start:start + limit]}
        if start + limit < len(items):
            page["NextToken"] = str(start + limit)
        return org._json(200, page)
    return paged


def parent_arn(parent_id):
    """The IAM resource a request naming `parent_id` is authorized on, from its shape (IAM decides
    before Organizations looks the parent up), or None for an id of neither shape."""
    from ministack.services import organizations as org

    org._ensure_org()
    organization = org._orgs["self"]
    master, org_id = organization["MasterAccountId"], organization["Id"]
    if parent_id.startswith("r-"):
        return f"arn:aws:organizations::{master}:root/{org_id}/{parent_id}"
    if parent_id.startswith("ou-"):
        return f"arn:aws:organizations::{master}:ou/{org_id}/{parent_id}"
    return None


def organization_of(account_id):
    """The id of the organization `account_id` is a member of, or None (for `aws:SourceOrgID`)."""
    from ministack.services import organizations as org

    if "self" not in org._orgs or account_id not in org._accounts:
        return None
    return org._orgs["self"]["Id"]


def place_accounts(asked):
    """Places accounts with the given ids under a root or OU (the admin route)."""
    from ministack.services import organizations as org

    org._ensure_org()
    organization = org._orgs["self"]
    placed = 0
    for entry in asked.get("accounts") or []:
        account_id, parent = str(entry.get("id", "")), str(entry.get("parent", ""))
        state = entry.get("state") or "ACTIVE"
        if not re.fullmatch(r"\d{12}", account_id):
            raise ValueError(f"account id {account_id!r} is not 12 digits")
        if parent not in org._roots and parent not in org._ous:
            raise ValueError(f"parent {parent!r} is no root or OU of the organization")
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {state!r}")
        org._accounts[account_id] = {
            "Id": account_id,
            "Arn": f"arn:aws:organizations::{organization['MasterAccountId']}:account/"
                   f"{organization['Id']}/{account_id}",
            "Email": f"{account_id}@offline.invalid",
            "Name": entry.get("name") or f"account {account_id}",
            # `Status` is deprecated in favour of `State`; AWS answers both (SUSPENDED for the
            # closing states).
            "Status": "ACTIVE" if state == "ACTIVE" else "SUSPENDED",
            "State": state,
            "JoinedMethod": "INVITED",
            "JoinedTimestamp": int(time.time()),
            "_ParentId": parent,
        }
        placed += 1
    return {"placed": placed, **describe()}


def describe():
    from ministack.services import organizations as org

    org._ensure_org()
    return {"organization": org._orgs["self"]["Id"], "roots": sorted(org._roots),
            "accounts": len(org._accounts)}


def install():
    from ministack.services import organizations as org

    org._DISPATCH["ListAccountsForParent"] = _paged("Accounts")
    org._DISPATCH["ListOrganizationalUnitsForParent"] = _paged("OrganizationalUnits")
