"""Drives the emulator's deployments, virtual machines, data disks and
service certificates with the real Python peer client,
azure-servicemanagement-legacy, through the peer's own methods.

Inputs (environment):
  ASM_EMULATOR        the JSON line the asm-emulator binary printed
  PFX_B64             a PFX (certificate and key), base64
  PFX_PASSWORD        its password
  PFX_THUMBPRINT      the certificate's SHA-1 thumbprint, upper-case hex

Exits non-zero on the first failed check.
"""

import base64
import os

from azure.servicemanagement import (
    ConfigurationSet,
    ConfigurationSetInputEndpoint,
    LinuxConfigurationSet,
    OSVirtualHardDisk,
    ServiceManagementService,
)

import peer_common
from peer_common import RUN, check, client, expect_error, wait

sms = client(ServiceManagementService)
paas = "pypaas" + RUN
iaas = "pyiaas" + RUN
sms.create_hosted_service(paas, "paas", location="West US")
sms.create_hosted_service(iaas, "iaas", location="West US")

# --- A web/worker role deployment -----------------------------------------
config = """<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="%s" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="WebRole1"><Instances count="2" /></Role>
  <Role name="WorkerRole1"><Instances count="1" /></Role>
</ServiceConfiguration>""" % paas
config_b64 = base64.b64encode(config.encode("utf-8")).decode("ascii")
result = sms.create_deployment(
    paas, "staging", "v1", "https://acct.blob.core.windows.net/pkgs/app.cspkg",
    u"Version 1 \u00fc", config_b64, start_deployment=True)
wait(sms, result.request_id)
d = sms.get_deployment_by_name(paas, "v1")
check(d.name == "v1", "deployment name")
check(d.deployment_slot == "Staging", "deployment slot: %r" % d.deployment_slot)
check(d.status == "Running", "started: %r" % d.status)
check(d.label == u"Version 1 \u00fc", "label round-trips: %r" % d.label)
names = sorted(i.instance_name for i in d.role_instance_list)
check(names == ["WebRole1_IN_0", "WebRole1_IN_1", "WorkerRole1_IN_0"], "instances from the configuration: %r" % names)
check(all(i.instance_status == "ReadyRole" for i in d.role_instance_list), "instances ready")
check(sorted(r.role_name for r in d.role_list) == ["WebRole1", "WorkerRole1"], "roles")
# The peer decodes the base64 configuration itself.
check(d.configuration == config, "configuration kept: %r" % d.configuration[:60])
# The staging slot is taken now.
expect_error(409, sms.create_deployment, paas, "staging", "v2",
             "https://acct.blob.core.windows.net/pkgs/app.cspkg", "v2", config_b64)
expect_error(404, sms.get_deployment_by_name, paas, "missing")
expect_error(404, sms.get_deployment_by_name, "nosuch" + RUN, "v1")

# --- A virtual machine deployment -----------------------------------------
linux = LinuxConfigurationSet("vm1host", "azureuser", "Passw0rd!Passw0rd", True)
linux.ssh = None
network = ConfigurationSet()
network.input_endpoints.input_endpoints.append(
    ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22"))
os_disk = OSVirtualHardDisk(
    "b39f27a8b8c64d52b05eac6a62ebad85__Ubuntu-14_04-LTS-amd64-server",
    "https://acct.blob.core.windows.net/vhds/%s-vm1.vhd" % iaas)
result = sms.create_virtual_machine_deployment(
    iaas, "vmdep", "production", "vms", "vm1", linux, os_disk,
    network_config=network, role_size="Small")
wait(sms, result.request_id)
d = sms.get_deployment_by_name(iaas, "vmdep")
check(d.deployment_slot == "Production", "VM deployment slot")
check([r.role_name for r in d.role_list] == ["vm1"], "VM role")
check(d.role_list[0].role_type == "PersistentVMRole", "role type")
inst = d.role_instance_list[0]
check(inst.instance_status == "ReadyRole" and inst.power_state == "Started", "VM running")
check(inst.host_name == "vm1host", "host name from the Linux configuration: %r" % inst.host_name)
check([e.public_port for e in inst.instance_endpoints] == ["22"] or
      [e.public_port for e in inst.instance_endpoints] == [22], "endpoint")

result = sms.add_data_disk(
    iaas, "vmdep", "vm1", 1, host_caching="ReadOnly",
    media_link="https://acct.blob.core.windows.net/vhds/%s-data1.vhd" % iaas,
    disk_label="data", logical_disk_size_in_gb=10)
wait(sms, result.request_id)
dd = sms.get_data_disk(iaas, "vmdep", "vm1", 1)
check(int(dd.lun) == 1, "data disk LUN")
check(int(dd.logical_disk_size_in_gb) == 10, "data disk size")
check(dd.host_caching == "ReadOnly", "data disk caching")
disks = [x for x in sms.list_disks() if x.attached_to is not None and x.attached_to.hosted_service_name == iaas]
check(len(disks) == 2, "OS and data disk in the repository: %d" % len(disks))
check(all(x.attached_to.role_name == "vm1" for x in disks), "attached to vm1")
# A disk in use cannot be deleted.
expect_error(400, sms.delete_disk, dd.disk_name)

# --- Service certificates ---------------------------------------------------
result = sms.add_service_certificate(paas, os.environ["PFX_B64"], "pfx", os.environ["PFX_PASSWORD"])
wait(sms, result.request_id)
certs = list(sms.list_service_certificates(paas))
check(len(certs) == 1, "one certificate")
check(certs[0].thumbprint == os.environ["PFX_THUMBPRINT"], "thumbprint computed from the PFX: %r" % certs[0].thumbprint)
check(certs[0].thumbprint_algorithm == "sha1", "thumbprint algorithm")
got = sms.get_service_certificate(paas, "sha1", os.environ["PFX_THUMBPRINT"])
check(got.data == certs[0].data and len(got.data) > 100, "certificate data")
expect_error(400, sms.add_service_certificate, paas, os.environ["PFX_B64"], "pfx", "wrong-password")

# --- Deletes ----------------------------------------------------------------
wait(sms, sms.delete_deployment(paas, "v1").request_id)
expect_error(404, sms.get_deployment_by_name, paas, "v1")
wait(sms, sms.delete_deployment(iaas, "vmdep").request_id)
expect_error(404, sms.get_deployment_by_name, iaas, "vmdep")
left = [x for x in sms.list_disks() if x.name in [y.name for y in disks]]
check(len(left) == 2 and all(x.attached_to is None for x in left), "disks released with the deployment")
for x in left:
    sms.delete_disk(x.name)
check(not [x for x in sms.list_disks() if x.name in [y.name for y in disks]], "disks deleted")
sms.delete_hosted_service(paas)
sms.delete_hosted_service(iaas)

print("%d checks passed" % peer_common.checks)
