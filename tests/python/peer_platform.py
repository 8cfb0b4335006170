"""Drives the emulator's platform services with the real Python peer
clients of azure-servicemanagement-legacy: SqlDatabaseManagementService,
ServiceBusManagementService, WebsiteManagementService and
SchedulerManagementService.

Inputs (environment):
  ASM_EMULATOR   the JSON line the asm-emulator binary printed

Exits non-zero on the first failed check.
"""

import time

from azure.servicemanagement import (
    SchedulerManagementService,
    ServiceBusManagementService,
    ServiceManagementService,
    SqlDatabaseManagementService,
    WebsiteManagementService,
)

import peer_common
from peer_common import RUN, SUB, check, client, expect_error

sms = client(ServiceManagementService)


def wait(result):
    """Waits for an asynchronous operation the peer started."""
    check(result is not None and result.request_id, "an asynchronous request id")
    return peer_common.wait(sms, result.request_id)


# --- SQL Database ----------------------------------------------------------
sql = client(SqlDatabaseManagementService)
check(sql.list_servers() == [] or len(sql.list_servers()) == 0, "no servers at first")
created = sql.create_server("admin" + RUN, "P@ssw0rd-" + RUN, "West US")
server = created.server_name
check(bool(server), "the service names the server")
servers = sql.list_servers()
check([s.name for s in servers] == [server], "one server listed: %r" % [s.name for s in servers])
check(servers[0].administrator_login == "admin" + RUN, "the administrator login")
check(servers[0].location == "West US", "the server's location: %r" % servers[0].location)
sql.set_server_admin_password(server, "N3w-P@ssword-" + RUN)
expect_error(404, sql.set_server_admin_password, "nosuchserver", "N3w-P@ssword")

sql.create_firewall_rule(server, "office", "10.0.0.1", "10.0.0.255")
rules = sql.list_firewall_rules(server)
check([(r.name, r.start_ip_address, r.end_ip_address) for r in rules]
      == [("office", "10.0.0.1", "10.0.0.255")],
      "the firewall rule: %r" % [(r.name, r.start_ip_address, r.end_ip_address) for r in rules])
expect_error(404, sql.create_firewall_rule, "nosuchserver", "x", "1.1.1.1", "1.1.1.2")

sql.create_database(server, "db1", "dd6d99bb-f193-4ec1-86f2-43d3bccbc49c", edition="Basic",
                    collation_name="SQL_Latin1_General_CP1_CI_AS", max_size_bytes=1073741824)
dbs = sql.list_databases(server)
names = sorted(d.name for d in dbs)
check("db1" in names, "db1 listed: %r" % names)
db1 = [d for d in dbs if d.name == "db1"][0]
check(db1.edition == "Basic", "db1 edition: %r" % db1.edition)
# Node's client requires Edition on an update (shapes: required); the Python
# client lets it be left out, and no recording shows what the service did
# then: the spec keeps Node's rule, so the peer passes it.
expect_error(400, sql.update_database, server, "db1", new_database_name="db2")
sql.update_database(server, "db1", new_database_name="db2", edition="Basic")
names = sorted(d.name for d in sql.list_databases(server))
check("db2" in names and "db1" not in names, "renamed to db2: %r" % names)
expect_error(409, sql.create_database, server, "db2", "dd6d99bb-f193-4ec1-86f2-43d3bccbc49c",
             edition="Basic")
sql.delete_database(server, "db2")
names = sorted(d.name for d in sql.list_databases(server))
check("db2" not in names, "db2 deleted: %r" % names)
expect_error(404, sql.delete_database, server, "db2")
sql.delete_server(server)
check(len(sql.list_servers()) == 0, "the server is deleted")
expect_error(404, sql.delete_server, server)

# --- Service Bus -----------------------------------------------------------
sb = client(ServiceBusManagementService)
ns = "peerns" + RUN
check(sb.check_namespace_availability(ns).result is True, "the namespace name is available")
sb.create_namespace(ns, "West US")
got = sb.get_namespace(ns)
check(got.name == ns, "get_namespace: %r" % got.name)
check(got.region == "West US", "region: %r" % got.region)
check(got.status == "Active", "status: %r" % got.status)
check(got.servicebus_endpoint == "https://%s.servicebus.windows.net/" % ns,
      "endpoint: %r" % got.servicebus_endpoint)
check(ns in [n.name for n in sb.list_namespaces()], "the namespace is listed")
check(sb.check_namespace_availability(ns).result is False, "the name is taken now")
expect_error(409, sb.create_namespace, ns, "West US")

# The peer has no queue/topic create: put them through its own HTTP layer
# (the management API's PUT of an Atom entry), then list with the peer.
QUEUE = ('<entry xmlns="http://www.w3.org/2005/Atom"><content type="application/xml">'
         '<QueueDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect">'
         '<MaxSizeInMegabytes>1024</MaxSizeInMegabytes></QueueDescription></content></entry>')
TOPIC = ('<entry xmlns="http://www.w3.org/2005/Atom"><content type="application/xml">'
         '<TopicDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect">'
         '<MaxSizeInMegabytes>1024</MaxSizeInMegabytes></TopicDescription></content></entry>')
sb.content_type = "application/atom+xml"
sb._perform_put("/%s/services/servicebus/namespaces/%s/queues/orders" % (SUB, ns), QUEUE)
sb._perform_put("/%s/services/servicebus/namespaces/%s/topics/events" % (SUB, ns), TOPIC)
queues = sb.list_queues(ns)
check([q.name for q in queues] == ["orders"], "queues: %r" % [q.name for q in queues])
topics = sb.list_topics(ns)
check([t.name for t in topics] == ["events"], "topics: %r" % [t.name for t in topics])
check(sb.list_relays(ns) == [] or len(sb.list_relays(ns)) == 0, "no relays")
sb.delete_namespace(ns)
expect_error(404, sb.get_namespace, ns)

# --- Web sites -------------------------------------------------------------
web = client(WebsiteManagementService)
ws = "westuswebspace"
site_name = "peersite" + RUN
created = web.create_site(ws, site_name, "West US", [site_name + ".azurewebsites.net"])
check(created.name == site_name, "create_site: %r" % created.name)
site = web.get_site(ws, site_name)
check(site.name == site_name and site.state == "Running", "get_site: %r %r" % (site.name, site.state))
check(site.host_names == [site_name + ".azurewebsites.net"], "host names: %r" % site.host_names)
check([s.name for s in web.list_sites(ws)] == [site_name], "list_sites")
spaces = [w.name for w in web.list_webspaces()]
check(ws in spaces, "the web space is listed once a site is in it: %r" % spaces)
web.restart_site(ws, site_name)
expect_error(404, web.restart_site, ws, "nosuchsite" + RUN)
profile = web.get_publish_profile_xml(ws, site_name)
check("<publishData" in profile and 'publishMethod="MSDeploy"' in profile,
      "publish profile XML: %r" % profile[:200])
check(('userName="$%s"' % site_name) in profile, "publishing user")
web.delete_site(ws, site_name, delete_empty_server_farm=True, delete_metrics=True)
expect_error(404, web.get_site, ws, site_name)

# --- Scheduler -------------------------------------------------------------
sch = client(SchedulerManagementService)
cs = "peercs" + RUN
wait(sch.create_cloud_service(cs, "label " + RUN, "a cloud service", "West Europe"))
got = sch.get_cloud_service(cs)
check(got.label == "label " + RUN and got.geo_region == "West Europe",
      "get_cloud_service: %r %r" % (got.label, got.geo_region))
wait(sch.create_job_collection(cs, "jobs"))
jc = sch.get_job_collection(cs, "jobs")
check(jc.name == "jobs", "get_job_collection: %r" % jc.name)
check(jc.state == "Started", "job collection state: %r" % jc.state)
JOB = {
    "startTime": "2030-01-01T00:00:00Z",
    "action": {
        "type": "http",
        "request": {"uri": "http://example.invalid/ping", "method": "GET"},
    },
    "recurrence": {"frequency": "hour", "interval": 1},
}
sch.create_job(cs, "jobs", "ping", JOB)
job = sch.get_job(cs, "jobs", "ping")
check(job["id"] == "ping", "get_job id: %r" % job)
check(job["action"]["request"]["uri"] == "http://example.invalid/ping", "the job's request")
check(job["state"] == "Enabled", "the job is enabled")
all_jobs = sch.get_all_jobs(cs, "jobs")
check([j["id"] for j in all_jobs] == ["ping"], "get_all_jobs: %r" % all_jobs)
sch.delete_job(cs, "jobs", "ping")
expect_error(404, sch.get_job, cs, "jobs", "ping")
wait(sch.delete_job_collection(cs, "jobs"))
expect_error(404, sch.get_job_collection, cs, "jobs")
wait(sch.delete_cloud_service(cs))
expect_error(404, sch.get_cloud_service, cs)

print("%d checks passed" % peer_common.checks)
