// The official Node.js classic clients against the asm emulator: the network
// configuration, virtual network sites, a network security group with a rule
// associated with a subnet, a route table on a subnet, a Traffic Manager
// profile with a definition. Exits non-zero on the first mismatch.
//
// Environment: ASM_ENDPOINT, ASM_SUBSCRIPTION_ID, ASM_CERT_PEM and
// ASM_KEY_PEM (paths of the management certificate and its key),
// NODE_EXTRA_CA_CERTS (the emulator's CA), NODE_PATH (where npm installed
// the clients).
'use strict';

const fs = require('fs');
const assert = require('assert');
const common = require('azure-common');
const network = require('azure-asm-network');
const trafficManager = require('azure-asm-trafficmanager');

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

const endpoint = env('ASM_ENDPOINT');
const credentials = new common.CertificateCloudCredentials({
  subscriptionId: env('ASM_SUBSCRIPTION_ID'),
  cert: fs.readFileSync(env('ASM_CERT_PEM'), 'utf8'),
  key: fs.readFileSync(env('ASM_KEY_PEM'), 'utf8'),
});

const net = network.createNetworkManagementClient(credentials, endpoint);
// Poll every 50 ms instead of every 30 s.
net.longRunningOperationInitialTimeout = 0;
net.longRunningOperationRetryTimeout = 0.05;
const tm = trafficManager.createTrafficManagerManagementClient(credentials, endpoint);

// Calls `obj[method](...args, callback)` as a promise.
function call(obj, method, ...args) {
  return new Promise((resolve, reject) => {
    obj[method](...args, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

// The service error a call must end with.
async function refused(promise, status, code, what) {
  try {
    await promise;
  } catch (err) {
    assert.strictEqual(err.statusCode, status, `${what}: ${err.statusCode} ${err.code} ${err.message}`);
    assert.strictEqual(err.code, code, `${what}: ${err.message}`);
    return err.message;
  }
  throw new Error(`${what}: expected ${status} ${code}, the call succeeded`);
}

let checks = 0;
function check(cond, what) {
  assert.ok(cond, what);
  checks += 1;
}

function netcfg(sites) {
  const body = sites
    .map(
      ([name, space, subnets]) =>
        `      <VirtualNetworkSite name="${name}" Location="West US">\r\n` +
        `        <AddressSpace><AddressPrefix>${space}</AddressPrefix></AddressSpace>\r\n` +
        '        <Subnets>' +
        subnets
          .map(([s, p]) => `<Subnet name="${s}"><AddressPrefix>${p}</AddressPrefix></Subnet>`)
          .join('') +
        '</Subnets>\r\n      </VirtualNetworkSite>\r\n'
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?>\r\n' +
    '<NetworkConfiguration xmlns="http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration">\r\n' +
    '  <VirtualNetworkConfiguration>\r\n    <Dns />\r\n    <VirtualNetworkSites>\r\n' +
    body +
    '    </VirtualNetworkSites>\r\n  </VirtualNetworkConfiguration>\r\n</NetworkConfiguration>\r\n'
  );
}

async function main() {
  // The network configuration: set, read back, listed as sites.
  const config = netcfg([
    ['node-vnet', '10.10.0.0/16', [['web', '10.10.1.0/24'], ['db', '10.10.2.0/24']]],
    ['node-vnet2', '10.20.0.0/16', [['app', '10.20.0.0/24']]],
  ]);
  const set = await call(net.networks, 'setConfiguration', { configuration: config });
  check(set.status === 'Succeeded', `set configuration: ${set.status}`);
  const got = await call(net.networks, 'getConfiguration');
  check(got.configuration.includes('<VirtualNetworkSite name="node-vnet" Location="West US">'), 'configuration read back');
  let sites = (await call(net.networks, 'list')).virtualNetworkSites;
  check(sites.length === 2, `${sites.length} sites`);
  const site = sites.find((s) => s.name === 'node-vnet');
  check(site && site.state === 'Created', 'site state');
  check(site.addressSpace.addressPrefixes[0] === '10.10.0.0/16', 'site address space');
  check(site.subnets.map((s) => s.name).join(',') === 'web,db', 'site subnets');
  check(/^[0-9a-f-]{36}$/.test(site.id), `site id ${site.id}`);

  // Refused configurations (the long-running call fails at once).
  let message = await refused(
    call(net.networks, 'setConfiguration', {
      configuration: netcfg([
        ['a', '10.10.0.0/16', []],
        ['b', '10.10.128.0/17', []],
      ]),
    }),
    400,
    'BadRequest',
    'overlapping address spaces'
  );
  check(message.includes('overlaps'), message);
  message = await refused(
    call(net.networks, 'setConfiguration', { configuration: netcfg([['a', '10.10.0.0/16', [['s', '10.99.0.0/24']]]]) }),
    400,
    'BadRequest',
    'subnet outside'
  );
  check(message.includes("Subnet 's' is not valid in virtual network 'a'"), message);

  // A network security group with a rule, associated with a subnet.
  const created = await call(net.networkSecurityGroups, 'create', {
    name: 'node-nsg',
    label: 'from node',
    location: 'West US',
  });
  check(created.status === 'Succeeded', `create nsg: ${created.status}`);
  const rule = {
    type: 'Inbound',
    priority: 100,
    action: 'Allow',
    sourceAddressPrefix: 'INTERNET',
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: '80',
    protocol: 'TCP',
  };
  await call(net.networkSecurityGroups, 'setRule', 'node-nsg', 'allow-http', rule);
  message = await refused(
    call(net.networkSecurityGroups, 'setRule', 'node-nsg', 'allow-http2', rule),
    400,
    'BadRequest',
    'same priority and direction'
  );
  check(message.includes('Rules cannot have the same Priority and Direction'), message);
  const nsg = await call(net.networkSecurityGroups, 'get', 'node-nsg', 'Full');
  check(nsg.name === 'node-nsg' && nsg.location === 'West US', 'nsg read');
  check(nsg.rules.length === 7, `${nsg.rules.length} rules`);
  check(nsg.rules[0].name === 'allow-http' && nsg.rules[0].priority === 100, 'user rule first');
  check(nsg.rules.slice(1).every((r) => r.isDefault === true && r.priority >= 65000), 'default rules');
  await call(net.networkSecurityGroups, 'addToSubnet', 'node-vnet', 'web', { name: 'node-nsg' });
  const forSubnet = await call(net.networkSecurityGroups, 'getForSubnet', 'node-vnet', 'web');
  check(forSubnet.name === 'node-nsg', `nsg for subnet: ${forSubnet.name}`);
  await refused(
    call(net.networkSecurityGroups, 'addToSubnet', 'node-vnet', 'nowhere', { name: 'node-nsg' }),
    404,
    'ResourceNotFound',
    'subnet not in the configuration'
  );
  sites = (await call(net.networks, 'list')).virtualNetworkSites;
  const web = sites.find((s) => s.name === 'node-vnet').subnets.find((s) => s.name === 'web');
  check(web.networkSecurityGroup === 'node-nsg', `listed subnet nsg: ${web.networkSecurityGroup}`);

  // A route table with a route, associated with a subnet.
  await call(net.routes, 'createRouteTable', { name: 'node-rt', label: 'from node', location: 'West US' });
  await call(net.routes, 'setRoute', 'node-rt', 'to-appliance', {
    name: 'to-appliance',
    addressPrefix: '0.0.0.0/0',
    nextHop: { type: 'VirtualAppliance', ipAddress: '10.10.2.4' },
  });
  const table = await call(net.routes, 'getRouteTableWithDetails', 'node-rt', 'Full');
  check(table.routeTable.name === 'node-rt', 'route table read');
  check(table.routeTable.routeList.length === 1, 'one route');
  check(table.routeTable.routeList[0].nextHop.ipAddress === '10.10.2.4', 'route next hop');
  await call(net.routes, 'addRouteTableToSubnet', 'node-vnet', 'db', { routeTableName: 'node-rt' });
  const rt = await call(net.routes, 'getRouteTableForSubnet', 'node-vnet', 'db');
  check(rt.routeTableName === 'node-rt', `route table for subnet: ${rt.routeTableName}`);

  // Traffic Manager: a profile, its definition, enabled.
  const free = await call(tm.profiles, 'checkDnsPrefixAvailability', 'node-tm-prefix');
  check(free.result === true, 'prefix available');
  await call(tm.profiles, 'create', 'node-tm', 'node-tm-prefix.trafficmanager.net');
  const taken = await call(tm.profiles, 'checkDnsPrefixAvailability', 'node-tm-prefix');
  check(taken.result === false, 'prefix taken');
  await call(tm.definitions, 'create', 'node-tm', {
    dnsOptions: { timeToLiveInSeconds: 300 },
    monitors: [
      {
        intervalInSeconds: 30,
        timeoutInSeconds: 10,
        toleratedNumberOfFailures: 3,
        protocol: 'HTTP',
        port: 80,
        httpOptions: { verb: 'GET', relativePath: '/health', expectedStatusCode: 200 },
      },
    ],
    policy: {
      loadBalancingMethod: 'Failover',
      endpoints: [{ domainName: 'node-svc.cloudapp.net', status: 'Enabled', type: 'CloudService' }],
    },
  });
  await call(tm.profiles, 'update', 'node-tm', 'Enabled', 1);
  const profile = (await call(tm.profiles, 'get', 'node-tm')).profile;
  check(profile.status === 'Enabled', `profile status ${profile.status}`);
  check(profile.statusDetails.enabledDefinitionVersion === 1, 'enabled version');
  check(profile.definitions.length === 1 && profile.definitions[0].version === 1, 'profile definitions');
  const def = (await call(tm.definitions, 'get', 'node-tm')).definition;
  check(def.dnsOptions.timeToLiveInSeconds === 300, 'definition TTL');
  check(def.monitors[0].httpOptions.relativePath === '/health', 'monitor path');
  check(def.policy.loadBalancingMethod === 'Failover', 'policy');
  check(def.policy.endpoints[0].domainName === 'node-svc.cloudapp.net', 'endpoint');
  check(def.policy.endpoints[0].monitorStatus === 'CheckingEndpoint', `endpoint monitor ${def.policy.endpoints[0].monitorStatus}`);
  const profiles = (await call(tm.profiles, 'list')).profiles;
  check(profiles.some((p) => p.name === 'node-tm'), 'profile listed');

  console.log(`${checks} checks passed`);
}

main().catch((err) => {
  console.error('FAILED:', err && err.stack ? err.stack : err);
  if (err && err.statusCode) {
    console.error(`HTTP ${err.statusCode} ${err.code}: ${err.message}`);
  }
  process.exit(1);
});
