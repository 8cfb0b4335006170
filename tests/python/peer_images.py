"""Drives the emulator's images, reserved IPs and catalogs with the real
Python peer client, azure-servicemanagement-legacy: OS images (add, list,
get, update, delete), role sizes, guest operating systems and families,
reserved IP addresses (create, list, get, delete).

Input (environment): ASM_EMULATOR, the JSON line the asm-emulator binary
printed. Exits non-zero on the first failed check.
"""

from azure.servicemanagement import ServiceManagementService

import peer_common
from peer_common import RUN, check, client, expect_error, wait

sms = client(ServiceManagementService)

# --- OS images -----------------------------------------------------------
images = sms.list_os_images()
platform = [i for i in images if i.category == "Public"]
check(len(platform) >= 4, "platform images listed: %d" % len(platform))
check(any(i.os == "Linux" and i.publisher_name == "Canonical" for i in platform), "an Ubuntu image")
check(any(i.os == "Windows" and "Windows Server" in i.label for i in platform), "a Windows Server image")
ubuntu = [i for i in platform if i.publisher_name == "Canonical"][0]
got = sms.get_os_image(ubuntu.name)
check(got.name == ubuntu.name and got.category == "Public", "get a platform image")
check(got.logical_size_in_gb == 30, "size %r" % got.logical_size_in_gb)

acct = "pyimg" + RUN
result = sms.create_storage_account(acct, "image store", "Image store", location="West Europe")
wait(sms, result.request_id)
name = "pyimage-" + RUN
link = "https://%s.blob.core.windows.net/vhds/%s.vhd" % (acct, name)
result = sms.add_os_image("Python image", link, name, "Linux")
check(result is not None, "add_os_image answered")
got = sms.get_os_image(name)
check(got.category == "User", "user image category %r" % got.category)
check(got.label == "Python image", "label %r" % got.label)
check(got.media_link == link, "media link %r" % got.media_link)
check(got.os == "Linux", "os %r" % got.os)
check(got.location == "West Europe", "location from the storage account %r" % got.location)
check(name in [i.name for i in sms.list_os_images()], "user image listed")
expect_error(409, sms.add_os_image, "again", link, name, "Linux")
expect_error(400, sms.add_os_image, "bad", "not a url", "pybad-" + RUN, "Linux")
expect_error(400, sms.add_os_image, "bad", link, "pybados-" + RUN, "Plan9")

sms.update_os_image(name, "Renamed by Python", link, name, "Linux")
check(sms.get_os_image(name).label == "Renamed by Python", "label updated")
expect_error(400, sms.update_os_image, ubuntu.name, "mine", link, ubuntu.name, "Linux")
expect_error(400, sms.delete_os_image, ubuntu.name)

sms.delete_os_image(name, delete_vhd=True)
expect_error(404, sms.get_os_image, name)
check(name not in [i.name for i in sms.list_os_images()], "user image gone")

# --- Role sizes and guest operating systems --------------------------------
sizes = {s.name: s for s in sms.list_role_sizes()}
check("Small" in sizes and "Standard_D2" in sizes, "role sizes %r" % sorted(sizes)[:5])
check(sizes["Small"].cores == 1 and sizes["Small"].memory_in_mb == 1792, "Small size")
check(sizes["Standard_DS2"].supported_by_virtual_machines, "DS2 for VMs")
check(not sizes["Standard_DS2"].supported_by_web_worker_roles, "DS2 not for web/worker roles")

oses = list(sms.list_operating_systems())
check(len(oses) >= 4, "operating systems %d" % len(oses))
check(any(o.family == 4 and o.version.startswith("WA-GUEST-OS-4.") for o in oses), "family 4 versions")
check(all(o.family_label for o in oses), "family labels decode")
families = list(sms.list_operating_system_families())
by_name = {str(f.name): f for f in families}
check("4" in by_name, "family 4 listed: %r" % sorted(by_name))
check(by_name["4"].label == "Windows Server 2012 R2", "family label (base64 decoded) %r" % by_name["4"].label)
versions = list(by_name["4"].operating_systems)
check(len(versions) == 2 and sum(1 for v in versions if v.is_default) == 1, "one default version")

# --- Reserved IP addresses -------------------------------------------------
ip = "pyip-" + RUN
result = sms.create_reserved_ip_address(ip, label="python ip", location="West US")
wait(sms, result.request_id)
got = sms.get_reserved_ip_address(ip)
check(got.name == ip and got.state == "Created", "reserved ip %r %r" % (got.name, got.state))
check(got.location == "West US" and got.label == "python ip", "reserved ip location/label")
check(len(got.address.split(".")) == 4, "an IPv4 address %r" % got.address)
listed = {r.name: r for r in sms.list_reserved_ip_addresses()}
check(ip in listed and listed[ip].address == got.address, "reserved ip listed")
expect_error(409, sms.create_reserved_ip_address, ip, location="West US")
expect_error(400, sms.create_reserved_ip_address, "pyip-nowhere-" + RUN)
result = sms.delete_reserved_ip_address(ip)
wait(sms, result.request_id)
expect_error(404, sms.get_reserved_ip_address, ip)
check(ip not in [r.name for r in sms.list_reserved_ip_addresses()], "reserved ip gone")

print("python peer images: %d checks passed" % peer_common.checks)
