"""CloudFormation resource properties ministack 1.5.33 accepts but does not apply.

AWS::DynamoDB::Table `TimeToLiveSpecification`. AWS (CloudFormation resource reference): the table is
created with TTL enabled on `AttributeName`, and an update that changes or removes the specification
changes TTL. ministack 1.5.33 creates the table and ignores the property, so TTL stays DISABLED and
nothing ever expires. Historical's Current table depends on it. The fix wraps the table provisioner's
create and update and applies the specification through the same UpdateTimeToLive code the API uses.

AWS::SNS::Topic `KmsMasterKeyId`. AWS: the topic is encrypted with that key, so every service that
publishes to it needs the key policy's leave (`service_deliveries.py`). ministack 1.5.33 creates the
topic without the attribute (an encrypted staging topic was plain). The fix sets the topic attribute
on create and update, as SetTopicAttributes does.
"""

from ministack.services import dynamodb
from ministack.services.cloudformation import provisioners

TABLE = "AWS::DynamoDB::Table"
TOPIC = "AWS::SNS::Topic"


def _apply_ttl(table_name, props, old_props=None):
    spec = props.get("TimeToLiveSpecification")
    old = (old_props or {}).get("TimeToLiveSpecification")
    if spec == old:
        return
    if spec and spec.get("AttributeName"):
        enabled = str(spec.get("Enabled", False)).lower() == "true"
        wanted = {"Enabled": enabled, "AttributeName": spec["AttributeName"]}
    elif old and old.get("AttributeName"):
        wanted = {"Enabled": False, "AttributeName": old["AttributeName"]}
    else:
        return
    status, _headers, body = dynamodb._update_ttl({"TableName": table_name, "TimeToLiveSpecification": wanted})
    if status >= 400:
        raise ValueError(f"{TABLE} {table_name}: TimeToLiveSpecification refused: {body!r}")


def _apply_topic_key(topic_arn, props):
    from ministack.services import sns

    topic = sns._topics.get(topic_arn)
    if topic is None:
        return
    key = props.get("KmsMasterKeyId")
    if key:
        topic["attributes"]["KmsMasterKeyId"] = key
    else:
        topic["attributes"].pop("KmsMasterKeyId", None)


def _apply_after(resource_type, apply):
    """Wrap a resource type's create and update so `apply(physical_id, props, old_props)` follows each."""
    handlers = provisioners._RESOURCE_HANDLERS[resource_type]
    create, update = handlers["create"], handlers["update"]

    def create_then_apply(logical_id, props, stack_name):
        result = create(logical_id, props, stack_name)
        apply(result[0], props, None)
        return result

    def update_then_apply(physical_id, old_props, new_props, stack_name, logical_id=None):
        result = update(physical_id, old_props, new_props, stack_name, logical_id)
        apply(result[0] if isinstance(result, tuple) else physical_id, new_props, old_props)
        return result

    handlers["create"] = create_then_apply
    handlers["update"] = update_then_apply


def install():
    _apply_after(TABLE, _apply_ttl)
    _apply_after(TOPIC, lambda arn, props, _old: _apply_topic_key(arn, props))
