"""Drives the emulator with the real Python peer client,
azure-servicemanagement-legacy, across every operation of the slice.

Inputs (environment):
  ASM_EMULATOR           the JSON line the asm-emulator binary printed
  EXTRA_CERT_PEM         a second certificate with its key (PEM file)
  EXTRA_CERT_DER_B64     its DER, base64
  EXTRA_CERT_SPKI_B64    its public key (SubjectPublicKeyInfo DER), base64
  EXTRA_CERT_THUMBPRINT  its SHA-1 thumbprint, upper-case hex

Exits non-zero on the first failed check.
"""

import datetime
import os

from azure.servicemanagement import ServiceManagementService

import peer_common
from peer_common import RUN, SUB, check, client, operation_status

mutations = 0
failed_mutations = 0


def mutate(fn, *args, **kwargs):
    global mutations
    mutations += 1
    return fn(*args, **kwargs)


def expect_error(status, fn, *args, mutating=False, **kwargs):
    global mutations, failed_mutations
    if mutating:
        mutations += 1
        failed_mutations += 1
    return peer_common.expect_error(status, fn, *args, **kwargs)


sms = client(ServiceManagementService)
start = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)

# --- Locations and subscription ------------------------------------------
locations = sms.list_locations()
names = [l.name for l in locations]
for n in ("West US", "East US", "North Europe", "West Europe", "East Asia", "Southeast Asia"):
    check(n in names, "location %s listed" % n)
check(all("Storage" in l.available_services for l in locations), "available services")
subscription = sms.get_subscription()
check(subscription.subscription_id == SUB, "subscription id")
check(subscription.current_hosted_services == 0, "no hosted services yet")
check(subscription.max_storage_accounts > 0, "max storage accounts")

# --- Affinity groups -------------------------------------------------------
ag = "pyag" + RUN
label = u"Python label \u00fcn\u00efc\u00f8d\u00e9 <&>"
mutate(sms.create_affinity_group, ag, label, "West US", "from python")
got = sms.get_affinity_group_properties(ag)
check(got.name == ag, "affinity group name")
check(got.label == label, "affinity group label round-trips: %r" % got.label)
check(got.location == "West US", "affinity group location")
check(got.description == "from python", "affinity group description")
check(ag in [g.name for g in sms.list_affinity_groups()], "affinity group listed")
mutate(sms.update_affinity_group, ag, "New label", "new description")
got = sms.get_affinity_group_properties(ag)
check((got.label, got.description) == ("New label", "new description"), "affinity group updated")
expect_error(409, sms.create_affinity_group, ag, "dup", "West US", mutating=True)
expect_error(400, sms.create_affinity_group, "pybad" + RUN, "x", "Atlantis", mutating=True)
expect_error(404, sms.get_affinity_group_properties, "missing" + RUN)

# --- Hosted services -------------------------------------------------------
svc = "py-svc-" + RUN
check(sms.check_hosted_service_name_availability(svc).result, "name available")
mutate(sms.create_hosted_service, svc, u"Service \u2713", "a service",
       affinity_group=ag, extended_properties={"Owner": "python"})
check(not sms.check_hosted_service_name_availability(svc).result, "name taken")
got = sms.get_hosted_service_properties(svc, embed_detail=True)
check(got.service_name == svc, "service name")
props = got.hosted_service_properties
check(props.label == u"Service \u2713", "service label round-trips: %r" % props.label)
check(props.affinity_group == ag, "service affinity group")
check(props.status == "Created", "service status")
check(props.extended_properties.get("Owner") == "python", "extended properties: %r" % props.extended_properties)
# embed-detail: the emulator answers <Deployments/> as the service does, and
# the peer reads it as an empty list.
check(got.deployments is not None and len(list(got.deployments)) == 0, "no deployments: %r" % got.deployments)
raw = sms.perform_get("/%s/services/hostedservices/%s?embed-detail=true" % (sms.subscription_id, svc))
check(b"<Deployments/>" in raw.body or b"<Deployments></Deployments>" in raw.body, "empty Deployments element sent: %r" % raw.body[:400])
check(svc in [s.service_name for s in sms.list_hosted_services()], "service listed")
mutate(sms.update_hosted_service, svc, label="Updated", description="changed",
       extended_properties={"Team": "peer"})
props = sms.get_hosted_service_properties(svc).hosted_service_properties
check((props.label, props.description) == ("Updated", "changed"), "service updated")
check(props.extended_properties.get("Team") == "peer", "extended property added")
check(len(sms.get_affinity_group_properties(ag).hosted_services) == 1, "group lists its service")
expect_error(409, sms.create_hosted_service, svc, "dup", location="West US", mutating=True)
expect_error(400, sms.create_hosted_service, "py-nowhere-" + RUN, "x", location="Atlantis", mutating=True)
expect_error(400, sms.delete_affinity_group, ag, mutating=True)
check(sms.get_subscription().current_hosted_services == 1, "counter counts the service")
result = mutate(sms.delete_hosted_service, svc)
check(operation_status(sms, result.request_id).status == "Succeeded", "delete is done")
expect_error(404, sms.get_hosted_service_properties, svc)
expect_error(404, sms.delete_hosted_service, svc, mutating=True)

svc2 = "py-svc2-" + RUN
mutate(sms.create_hosted_service, svc2, "second", location="East US")
check(sms.get_hosted_service_properties(svc2).hosted_service_properties.location == "East US", "location")
result = mutate(sms.delete_hosted_service, svc2, complete=True)
check(len(result.request_id) == 32, "async request id")
status = operation_status(sms, result.request_id)
check(status.status == "Succeeded", "delete with contents succeeded: %s" % status.status)
expect_error(404, sms.get_hosted_service_properties, svc2)

# --- Storage accounts ------------------------------------------------------
acct = "pyst" + RUN
check(sms.check_storage_account_name_availability(acct).result, "account name available")
result = mutate(sms.create_storage_account, acct, "python account", u"Storage \u2713",
                location="North Europe", account_type="Standard_LRS")
first = sms.get_operation_status(result.request_id)
check(first.status in ("InProgress", "Succeeded"), "operation status %s" % first.status)
creating = sms.get_storage_account_properties(acct).storage_service_properties.status
check(creating in ("Creating", "Created"), "account status %s" % creating)
check(operation_status(sms, result.request_id).status == "Succeeded", "create account succeeded")
check(not sms.check_storage_account_name_availability(acct).result, "account name taken")
got = sms.get_storage_account_properties(acct)
p = got.storage_service_properties
check(got.service_name == acct, "account name")
check(p.status == "Created", "account created")
check(p.label == u"Storage \u2713", "account label round-trips: %r" % p.label)
check(p.location == "North Europe", "account location")
check("https://%s.blob.core.windows.net/" % acct in p.endpoints, "blob endpoint: %r" % p.endpoints)
check(p.account_type == "Standard_LRS", "account type")
check(bool(p.creation_time), "creation time")
keys = sms.get_storage_account_keys(acct).storage_service_keys
check(len(keys.primary) == 88 and keys.primary != keys.secondary, "keys")
rotated = mutate(sms.regenerate_storage_account_keys, acct, "Primary").storage_service_keys
check(rotated.primary != keys.primary and rotated.secondary == keys.secondary, "primary rotated")
check(sms.get_storage_account_keys(acct).storage_service_keys.primary == rotated.primary, "rotation kept")
mutate(sms.update_storage_account, acct, description="new description", label="new label",
       account_type="Standard_LRS")
p = sms.get_storage_account_properties(acct).storage_service_properties
check((p.label, p.description) == ("new label", "new description"), "account updated")
check(acct in [s.service_name for s in sms.list_storage_accounts()], "account listed")
expect_error(409, sms.create_storage_account, acct, "d", "l", location="North Europe", mutating=True)
check(sms.get_subscription().current_storage_accounts == 1, "counter counts the account")

premium = "pypr" + RUN
result = mutate(sms.create_storage_account, premium, "d", "premium",
                location="Central US", account_type="Premium_LRS")
status = operation_status(sms, result.request_id)
check(status.status == "Failed", "late failure: %s" % status.status)
check(status.error.code == "BadRequest", "late failure code %r" % status.error.code)
expect_error(404, sms.get_storage_account_properties, premium)

mutate(sms.delete_storage_account, acct)
expect_error(404, sms.get_storage_account_keys, acct)
expect_error(404, sms.delete_storage_account, acct, mutating=True)
mutate(sms.delete_affinity_group, ag)
expect_error(404, sms.get_affinity_group_properties, ag)

# --- Management certificates ----------------------------------------------
extra = os.environ["EXTRA_CERT_THUMBPRINT"]
listed = [c.subscription_certificate_thumbprint for c in sms.list_management_certificates()]
check(len(listed) == 1 and extra not in listed, "one certificate: %r" % listed)
outsider = client(ServiceManagementService, os.environ["EXTRA_CERT_PEM"])
expect_error(403, outsider.get_subscription)
mutate(sms.add_management_certificate, os.environ["EXTRA_CERT_SPKI_B64"], extra,
       os.environ["EXTRA_CERT_DER_B64"])
cert = sms.get_management_certificate(extra)
check(cert.subscription_certificate_thumbprint == extra, "certificate thumbprint")
check(cert.subscription_certificate_data == os.environ["EXTRA_CERT_DER_B64"], "certificate data")
check(len(sms.list_management_certificates()) == 2, "two certificates")
check(outsider.get_subscription().subscription_id == SUB, "added certificate authorises")
mutate(outsider.delete_management_certificate, extra)
expect_error(403, outsider.get_subscription)
expect_error(404, sms.get_management_certificate, extra)
anonymous = client(ServiceManagementService, None)
err = expect_error(403, anonymous.list_locations)
check("ForbiddenError" in str(err) or "Forbidden" in str(err), "forbidden: %s" % err)

# --- Operation history -----------------------------------------------------
end = datetime.datetime.utcnow() + datetime.timedelta(minutes=5)
fmt = "%Y-%m-%dT%H:%M:%SZ"


def history(**kwargs):
    ops, token, pages = [], None, 0
    while True:
        page = sms.list_subscription_operations(
            start.strftime(fmt), end.strftime(fmt), continuation_token=token, **kwargs)
        ops.extend(page.subscription_operations)
        pages += 1
        token = page.continuation_token
        if not token:
            return ops, pages


ops, pages = history()
check(len(ops) == mutations, "history holds %d operations, %d calls made" % (len(ops), mutations))
check(pages > 1, "history came in %d pages" % pages)
check(len(set(o.operation_id for o in ops)) == len(ops), "operation ids unique")
first = ops[0]
check(first.operation_name == "CreateAffinityGroup", "first operation %r" % first.operation_name)
check(first.operation_object_id == "/%s/affinitygroups/%s" % (SUB, ag), "object id %r" % first.operation_object_id)
check(first.operation_caller.used_service_management_api, "caller used the API")
params = dict(first.operation_parameters)  # the peer reads a:Name/a:Value into a dict
check("CreateAffinityGroup" in params and ag in params["CreateAffinityGroup"],
      "operation parameters (a:Name/a:Value) %r" % params)
check(first.operation_caller.client_ip == "127.0.0.1", "caller ip")
check(len(first.operation_caller.subscription_certificate_thumbprint) == 40, "caller thumbprint")
failed, _ = history(operation_result_filter="Failed")
check(len(failed) == failed_mutations + 1,
      "failed operations: %d, expected %d" % (len(failed), failed_mutations + 1))
on_svc, _ = history(object_id_filter="/%s/services/hostedservices/%s" % (SUB, svc.upper()))
# create, update, 409 create, delete, 404 delete
check(len(on_svc) == 5, "operations on the service: %r" % [o.operation_name for o in on_svc])
check(sms.get_operation_status(first.operation_id).status == "Succeeded", "status by operation id")

print("python peer: %d checks passed, %d mutating calls, %d history pages" % (peer_common.checks, mutations, pages))
