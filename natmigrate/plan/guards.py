"""Guards against an outage the plan does not promise (issue 13).

The only downtime a migration announces is the NAT window. Two things in an estate break that
promise without any NAT setting being wrong:

* a scale-set model that is *ahead of its instances*: ``manualupgrade`` (and an Automatic or
  Rolling roll-out) applies the whole latest model, so an image, size, extension or data-disk
  change waiting on the scale set is applied during the NAT roll-out: every instance is reimaged
  or rebooted at once (``PENDING_MODEL_CHANGES``);
* a single-port v1 rule bound to nothing (no ``backendIPConfiguration`` and no NIC referencing
  it): it forwards nothing today and is left as it is, which the plan says instead of keeping
  quiet.

Pure: reads the model and each resource's raw JSON (instance views carry ``sku``,
``storageProfile.imageReference`` and their extensions in ``resources``; the model the same under
``virtualMachineProfile``), no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from natmigrate.model import ScaleSet, ScaleSetInstance
from natmigrate.plan.draft import Draft
from natmigrate.plan.model import PENDING_MODEL_CHANGES

_IMAGE_KEYS = ("publisher", "offer", "sku", "version", "id", "sharedGalleryImageId", "communityGalleryImageId")


def properties(body: Any) -> Mapping[str, Any]:
    """A resource's properties: REST bodies nest them under ``properties``; ``az`` output is flattened."""
    if not isinstance(body, Mapping):
        return {}
    inner = body.get("properties")
    return inner if isinstance(inner, Mapping) else body


def _get(body: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(body, Mapping):
            return None
        body = body.get(step)
    return body


def _image_text(image: Mapping[str, Any]) -> str:
    if isinstance(image.get("id"), str):
        return str(image["id"]).rsplit("/", 1)[-1]
    return "/".join(str(image.get(k)) for k in ("publisher", "offer", "sku", "version") if image.get(k))


def _image_difference(model_image: Any, instance_image: Any) -> str | None:
    if not isinstance(model_image, Mapping) or not isinstance(instance_image, Mapping):
        return None
    for key in _IMAGE_KEYS:
        a, b = model_image.get(key), instance_image.get(key)
        if a is None or b is None:
            continue
        if str(a).lower() != str(b).lower():
            return f"image {_image_text(instance_image)} → {_image_text(model_image)}"
    return None


def _extensions(items: Any) -> dict[str, str | None]:
    """Extension name → type handler version."""
    out: dict[str, str | None] = {}
    if isinstance(items, list):
        for ext in items:
            if isinstance(ext, Mapping) and isinstance(ext.get("name"), str):
                version = properties(ext).get("typeHandlerVersion")
                out[ext["name"].lower()] = str(version) if version is not None else None
    return out


def _extension_difference(model_exts: dict[str, str | None], instance_exts: dict[str, str | None]) -> str | None:
    changes = [f"+{n}" for n in sorted(set(model_exts) - set(instance_exts))]
    changes += [f"-{n}" for n in sorted(set(instance_exts) - set(model_exts))]
    changes += [
        f"{n} {instance_exts[n]} → {model_exts[n]}"
        for n in sorted(set(model_exts) & set(instance_exts))
        if model_exts[n] and instance_exts[n] and model_exts[n] != instance_exts[n]
    ]
    return f"extensions {', '.join(changes)}" if changes else None


def model_differences(scale_set: ScaleSet, instance: ScaleSetInstance) -> list[str]:
    """What the scale set's model would change on ``instance``, as far as the instance view shows
    it (size, image, extensions, data disks); empty when nothing readable differs."""
    out: list[str] = []
    model = _get(properties(scale_set.raw), "virtualMachineProfile")
    inst = instance.raw
    model_size = _get(scale_set.raw, "sku", "name")
    inst_size = _get(inst, "sku", "name")
    if isinstance(model_size, str) and isinstance(inst_size, str) and model_size.lower() != inst_size.lower():
        out.append(f"size {inst_size} → {model_size}")
    image = _image_difference(
        _get(model, "storageProfile", "imageReference"), _get(properties(inst), "storageProfile", "imageReference")
    )
    if image:
        out.append(image)
    inst_resources = inst.get("resources") if isinstance(inst, Mapping) else None
    if isinstance(inst_resources, list):
        ext = _extension_difference(
            _extensions(_get(model, "extensionProfile", "extensions")), _extensions(inst_resources)
        )
        if ext:
            out.append(ext)
    model_disks = _get(model, "storageProfile", "dataDisks")
    inst_disks = _get(properties(inst), "storageProfile", "dataDisks")
    if isinstance(model_disks, list) and isinstance(inst_disks, list):
        luns = sorted(str(d.get("lun")) for d in model_disks if isinstance(d, Mapping))
        have = sorted(str(d.get("lun")) for d in inst_disks if isinstance(d, Mapping))
        if luns != have:
            out.append(f"data disks (LUNs {', '.join(have) or 'none'} → {', '.join(luns) or 'none'})")
    return out


def _instance_list(ids: list[str], limit: int = 8) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def check_pending_model(draft: Draft) -> None:
    """PENDING_MODEL_CHANGES: an instance of a scale set the plan rolls out is behind the model.

    An instance counts as behind when it reports ``latestModelApplied: false`` or when its size,
    image, extensions or data disks differ from the model's. Error, unless the user passed
    ``--allow-pending-model`` (then a warning: the roll-out reboots or reimages those instances).
    """
    allowed = draft.options.allow_pending_model
    for acc in draft.owners.values():
        ss = acc.resource
        if not isinstance(ss, ScaleSet) or ss.instances is None or ss.is_flexible:
            continue
        behind: list[str] = []
        differences: list[str] = []
        for inst in ss.instances:
            diff = model_differences(ss, inst)
            if inst.latest_model_applied is False or diff:
                behind.append(inst.instance_id)
                differences.extend(d for d in diff if d not in differences)
        if not behind:
            continue
        what = "; ".join(differences) if differences else "a change the instance view does not show"
        rg = ss.resource_group or "RESOURCE_GROUP"
        effect = (
            f"the roll-out applies the whole model, so instances {_instance_list(behind)} "
            f"({len(behind)} of {len(ss.instances)}) are rebooted or reimaged at once, not just without NAT "
            "for a moment"
        )
        if allowed:
            message = f"scale set {ss.name} has pending model changes ({what}); {effect} (--allow-pending-model)"
        else:
            message = (
                f"scale set {ss.name} has pending model changes ({what}); {effect}; apply them first "
                f"(az vmss update-instances -g {rg} -n {ss.name} --instance-ids '*') or pass "
                "--allow-pending-model"
            )
        draft.problem(
            PENDING_MODEL_CHANGES,
            "warning" if allowed else "error",
            message,
            [acc.id],
            scale_set=str(ss.name),
            instances=behind,
            differences=differences,
            reboot=True,
        )


def automatic_os_upgrade(scale_set: Any) -> bool:
    """``upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade`` of a scale set's JSON."""
    policy = _get(properties(scale_set), "upgradePolicy", "automaticOSUpgradePolicy", "enableAutomaticOSUpgrade")
    return policy is True


def note_unbound_rules(draft: Draft) -> None:
    """A single-port v1 rule with no ``backendIPConfiguration`` that no NIC references forwards
    nothing; the migration leaves it alone, and the plan says so."""
    lb = draft.inv.load_balancer
    referenced = {
        str(r.id).lower()
        for m in draft.members.values()
        if m.ip_configuration is not None
        for r in m.ip_configuration.nat_rules
        if isinstance(r.id, str)
    }
    for rule in lb.inbound_nat_rules:
        if rule.version != "v1" or rule.backend_ip_configuration is not None:
            continue
        if isinstance(rule.id, str) and rule.id.lower() in referenced:
            continue
        port = rule.frontend_port if isinstance(rule.frontend_port, int) else "?"
        draft.notes.append(
            f"v1 NAT rule {rule.name} (frontend port {port}) is bound to no ip configuration (no "
            "backendIPConfiguration, no NIC references it): it forwards nothing today and is left unchanged; "
            "delete it, or bind it to a NIC and plan again"
        )
