//! The `other` area through the generated client: the requests (paths,
//! queries, headers, JSON, XML and raw text bodies) and the decoding of
//! realistic JSON and XML bodies are checked against a scripted server; the
//! emulator's behaviour (emulator/src/platform.rs) is in platform_rest.rs.

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, start_with};
use asm_tests::mock::{MockServer, Reply};
use azure_asm::*;
use std::time::Duration;

const SUB: &str = "00000000-0000-0000-0000-000000000001";

async fn start() -> (RunningEmulator, Client) {
    start_with(|_| {}, |client| client.retry_policy(RetryPolicy::none())).await
}

fn mock_client(mock: &MockServer) -> Client {
    mock.client_builder(SUB)
        .poll_options(PollOptions {
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            timeout: Duration::from_secs(5),
        })
        .build()
        .expect("client")
}

fn json_reply(body: &str) -> Reply {
    Reply::new(200, body).header("Content-Type", "application/json; charset=utf-8")
}

fn xml_reply(body: &str) -> Reply {
    Reply::new(200, body).header("Content-Type", "application/xml; charset=utf-8")
}

fn body_json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("a JSON request body")
}

// ---------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_missing_autoscale_setting_or_cluster_is_404() {
    let (_emu, c) = start().await;
    // Monitoring and HDInsight are served (emulator/src/platform.rs;
    // tests/platform_rest.rs).
    assert_service_error(
        c.get_autoscale_setting("/hostedservices/svc").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_hd_insight_cluster("cs", "hdi").await,
        404,
        "ResourceNotFound",
    );
}

// ---------------------------------------------------------------------------
// Alert rules and incidents (JSON, scripted server)
// ---------------------------------------------------------------------------

const RULE: &str = r#"{
  "Id": "rule1",
  "Name": "High CPU",
  "Description": "CPU above 80%",
  "IsEnabled": true,
  "Condition": {
    "odata.type": "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.ThresholdRuleCondition",
    "DataSource": {
      "odata.type": "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.RuleMetricDataSource",
      "ResourceId": "/hostedservices/svc/deployments/prod/roles/web",
      "MetricNamespace": "",
      "MetricName": "Percentage CPU"
    },
    "Operator": "GreaterThan",
    "Threshold": 80.5,
    "WindowSize": "PT5M"
  },
  "Actions": [
    {
      "odata.type": "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.RuleEmailAction",
      "SendToServiceOwners": true,
      "CustomEmails": ["ops@example.com", "dev@example.com"]
    }
  ],
  "LastUpdatedTime": "2014-05-01T10:20:30.123Z"
}"#;

#[tokio::test]
async fn alert_rules_read_write_and_delete() {
    let mock = MockServer::start().await;
    let c = mock_client(&mock);
    mock.push(json_reply(RULE));
    let rule = c.get_alert_rule("rule1").await.unwrap();
    let req = &mock.captured()[0];
    assert_eq!(
        req.path,
        format!("/{SUB}/services/monitoring/alertrules/rule1")
    );
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(req.header("x-ms-version"), Some("2013-10-01"));
    assert_eq!(rule.name.as_deref(), Some("High CPU"));
    assert_eq!(rule.is_enabled, Some(true));
    let cond = rule.condition.as_ref().unwrap();
    assert_eq!(cond.operator, Some(ConditionOperator::GreaterThan));
    assert_eq!(cond.threshold, Some(80.5));
    assert_eq!(cond.window_size.as_deref(), Some("PT5M"));
    let ds = cond.data_source.as_ref().unwrap();
    assert_eq!(ds.metric_name.as_deref(), Some("Percentage CPU"));
    assert!(ds
        .odata_type
        .as_deref()
        .unwrap()
        .ends_with("RuleMetricDataSource"));
    assert_eq!(rule.actions.len(), 1);
    assert_eq!(rule.actions[0].send_to_service_owners, Some(true));
    assert_eq!(
        rule.actions[0].custom_emails,
        ["ops@example.com", "dev@example.com"]
    );
    assert!(rule.last_updated_time.is_some());

    // The create sends the rule back as JSON with the same keys.
    mock.reset();
    mock.push(Reply::new(201, "{}").header("Content-Type", "application/json"));
    c.create_or_update_alert_rule("rule1", &rule).await.unwrap();
    let req = &mock.captured()[0];
    assert_eq!(req.method, "PUT");
    assert!(req
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let sent = body_json(&req.body);
    assert_eq!(sent["Name"], "High CPU");
    assert_eq!(sent["IsEnabled"], true);
    assert_eq!(sent["Condition"]["Threshold"], 80.5);
    assert_eq!(sent["Condition"]["WindowSize"], "PT5M");
    assert_eq!(
        sent["Condition"]["DataSource"]["MetricName"],
        "Percentage CPU"
    );
    assert_eq!(
        sent["Condition"]["odata.type"],
        "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.ThresholdRuleCondition"
    );
    assert_eq!(sent["Actions"][0]["CustomEmails"][1], "dev@example.com");
    let back: serde_json::Value = serde_json::from_str(RULE).unwrap();
    assert_eq!(sent["Actions"], back["Actions"]);

    mock.reset();
    mock.push(json_reply("{}"));
    c.delete_alert_rule("rule1").await.unwrap();
    let req = &mock.captured()[0];
    assert_eq!(req.method, "DELETE");
    assert_eq!(
        req.path,
        format!("/{SUB}/services/monitoring/alertrules/rule1")
    );
}

const INCIDENT: &str = r#"{"Id":"inc1","RuleId":"rule1","IsActive":true,"ActivatedTime":"2014-05-01T10:25:00Z","ResolvedTime":null}"#;

#[tokio::test]
async fn alert_incidents_are_read() {
    let mock = MockServer::start().await;
    let c = mock_client(&mock);
    mock.push(json_reply(INCIDENT));
    let inc = c.get_alert_incident("inc1").await.unwrap();
    assert_eq!(inc.rule_id.as_deref(), Some("rule1"));
    assert_eq!(inc.is_active, Some(true));
    assert!(inc.activated_time.is_some());
    assert!(inc.resolved_time.is_none());

    mock.push(json_reply(&format!("{{\"Value\":[{INCIDENT},{{\"Id\":\"inc2\",\"RuleId\":\"rule1\",\"IsActive\":false,\"ActivatedTime\":\"2014-04-01T00:00:00Z\",\"ResolvedTime\":\"2014-04-01T01:00:00Z\"}}]}}")));
    let active = c.list_active_alert_incidents().await.unwrap();
    assert_eq!(active.value.len(), 2);
    assert_eq!(active.value[1].is_active, Some(false));
    assert!(active.value[1].resolved_time.is_some());

    mock.push(json_reply(r#"{"Value":[]}"#));
    let none = c
        .list_alert_incidents_for_rule(
            "rule1",
            &ListAlertIncidentsForRuleOptions {
                filter: Some("IsActive eq false".into()),
            },
        )
        .await
        .unwrap();
    assert!(none.value.is_empty());
    let reqs = mock.captured();
    assert_eq!(
        reqs[0].path,
        format!("/{SUB}/services/monitoring/alertincidents/inc1")
    );
    assert_eq!(
        reqs[1].path,
        format!("/{SUB}/services/monitoring/alertincidents")
    );
    assert_eq!(
        reqs[1].query.replace("%24", "$"),
        "$filter=IsActive%20eq%20true"
    );
    assert_eq!(
        reqs[2].path,
        format!("/{SUB}/services/monitoring/alertrules/rule1/alertincidents")
    );
    assert_eq!(
        reqs[2].query.replace("%24", "$"),
        "$filter=IsActive%20eq%20false"
    );
}

// ---------------------------------------------------------------------------
// Autoscale settings (JSON, scripted server)
// ---------------------------------------------------------------------------

const AUTOSCALE: &str = r#"{
  "Profiles": [
    {
      "Name": "Day",
      "Capacity": {"Minimum": "1", "Maximum": "4", "Default": "2"},
      "Rules": [
        {
          "MetricTrigger": {
            "MetricName": "PercentageCPU",
            "MetricNamespace": "",
            "MetricSource": "/hostedservices/svc/deployments/prod/roles/web",
            "TimeGrain": "PT5M",
            "Statistic": "Average",
            "TimeWindow": "PT45M",
            "TimeAggregation": "Average",
            "Operator": "GreaterThanOrEqual",
            "Threshold": 80
          },
          "ScaleAction": {"Direction": "Increase", "Type": "ChangeCount", "Value": "1", "Cooldown": "PT20M"}
        }
      ],
      "FixedDate": null,
      "Recurrence": {
        "Frequency": "Week",
        "Schedule": {"TimeZone": "UTC", "Days": ["Monday", "Friday"], "Hours": [8], "Minutes": [0, 30]}
      }
    }
  ],
  "Enabled": true
}"#;

#[tokio::test]
async fn autoscale_settings_read_write_and_delete() {
    let mock = MockServer::start().await;
    let c = mock_client(&mock);
    let rid = "/hostedservices/svc/deploymentslots/Production/roles/web";
    mock.push(json_reply(AUTOSCALE));
    let s = c.get_autoscale_setting(rid).await.unwrap();
    assert_eq!(s.enabled, Some(true));
    let p = &s.profiles[0];
    assert_eq!(p.name.as_deref(), Some("Day"));
    assert_eq!(p.capacity.as_ref().unwrap().maximum.as_deref(), Some("4"));
    let t = p.rules[0].metric_trigger.as_ref().unwrap();
    assert_eq!(t.statistic, Some(MetricStatisticType::Average));
    assert_eq!(
        t.operator,
        Some(ComparisonOperationType::GreaterThanOrEqual)
    );
    assert_eq!(t.threshold, Some(80.0));
    assert_eq!(t.time_window.as_deref(), Some("PT45M"));
    let a = p.rules[0].scale_action.as_ref().unwrap();
    assert_eq!(a.direction, Some(ScaleDirection::Increase));
    // A value this spec does not list is kept.
    assert_eq!(a.type_, Some(ScaleType::Unknown("ChangeCount".into())));
    assert!(p.fixed_date.is_none());
    let r = p.recurrence.as_ref().unwrap();
    assert_eq!(r.frequency, Some(AutoscaleRecurrenceFrequency::Week));
    let sch = r.schedule.as_ref().unwrap();
    assert_eq!(sch.days, ["Monday", "Friday"]);
    assert_eq!(sch.hours, [8]);
    assert_eq!(sch.minutes, [0, 30]);

    mock.push(Reply::new(201, "{}"));
    c.create_or_update_autoscale_setting(rid, &s).await.unwrap();
    mock.push(json_reply("{}"));
    c.delete_autoscale_setting(rid).await.unwrap();
    let reqs = mock.captured();
    let q = "resourceId=%2Fhostedservices%2Fsvc%2Fdeploymentslots%2FProduction%2Froles%2Fweb";
    for (r, m) in reqs.iter().zip(["GET", "PUT", "DELETE"]) {
        assert_eq!(r.method, m);
        assert_eq!(
            r.path,
            format!("/{SUB}/services/monitoring/autoscalesettings")
        );
        assert_eq!(r.query, q);
    }
    let sent = body_json(&reqs[1].body);
    assert_eq!(sent["Enabled"], true);
    let rule = &sent["Profiles"][0]["Rules"][0];
    assert_eq!(rule["MetricTrigger"]["TimeGrain"], "PT5M");
    assert_eq!(rule["MetricTrigger"]["Threshold"], 80.0);
    assert_eq!(rule["ScaleAction"]["Type"], "ChangeCount");
    assert_eq!(rule["ScaleAction"]["Cooldown"], "PT20M");
    assert_eq!(
        sent["Profiles"][0]["Recurrence"]["Schedule"]["Minutes"][1],
        30
    );
}

// ---------------------------------------------------------------------------
// Metrics (JSON, scripted server)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn metric_settings_are_written() {
    let mock = MockServer::start().await;
    let c = mock_client(&mock);
    let setting = MetricSetting {
        resource_id: Some("/hostedservices/svc".into()),
        namespace: Some("WindowsAzure.Availability".into()),
        value: Some(MetricSettingValue {
            odata_type: Some(
                "Microsoft.WindowsAzure.Management.Monitoring.Metrics.Models.AvailabilityMetricSettingValue"
                    .into(),
            ),
            available_locations: vec![NameConfig {
                name: Some("Chicago".into()),
                display_name: Some("Chicago, IL".into()),
            }],
            endpoints: vec![EndpointConfig {
                config_id: Some("cfg1".into()),
                name: Some("home".into()),
                location: Some("Chicago".into()),
                url: Some("http://svc.cloudapp.net/".into()),
            }],
        }),
    };
    mock.push(json_reply("{}"));
    c.put_metric_settings(&setting).await.unwrap();
    let req = &mock.captured()[0];
    assert_eq!(req.method, "PUT");
    let sent = body_json(&req.body);
    assert_eq!(sent["ResourceId"], "/hostedservices/svc");
    assert_eq!(sent["Value"]["Endpoints"][0]["ConfigId"], "cfg1");
    assert_eq!(
        sent["Value"]["odata.type"],
        "Microsoft.WindowsAzure.Management.Monitoring.Metrics.Models.AvailabilityMetricSettingValue"
    );
}

// ---------------------------------------------------------------------------
// HDInsight (scripted server)
// ---------------------------------------------------------------------------

const CLUSTERS: &str = r#"<CloudServices xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <CloudService>
    <Name>hdinsightHRIEVKWCABCRT3AK64SGDGFJDR7EM64QV4T5UXU2SGOBJMN7XPFDHQ-East-US</Name>
    <GeoRegion>East US</GeoRegion>
    <Resources>
      <Resource>
        <ResourceProviderNamespace>hdinsight</ResourceProviderNamespace>
        <Type>containers</Type>
        <Name>mycluster</Name>
        <OutputItems>
          <OutputItem><Key>Version</Key><Value>3.1.0.0</Value></OutputItem>
          <OutputItem><Key>NodesCount</Key><Value>4</Value></OutputItem>
        </OutputItems>
        <State>Started</State>
        <SubState>Running</SubState>
        <IntrinsicSettings>
          <ArrayOfOutputItem><OutputItem><Key>ClusterUserName</Key><Value>admin</Value></OutputItem></ArrayOfOutputItem>
        </IntrinsicSettings>
        <ClusterOperationStatus><Type>Create</Type><Result>Succeeded</Result></ClusterOperationStatus>
      </Resource>
    </Resources>
  </CloudService>
</CloudServices>"#;

const CLUSTER: &str = r#"<PassthroughResponse xmlns="http://schemas.microsoft.com/hdinsight/2013/05/management" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <Data xmlns:d2p1="http://schemas.microsoft.com/hdinsight/2014/05/management" i:type="d2p1:ClusterDetails">
    <d2p1:DnsName>mycluster</d2p1:DnsName>
    <d2p1:Location>East US</d2p1:Location>
    <d2p1:Version>3.1</d2p1:Version>
    <d2p1:ClusterRoleCollection>
      <d2p1:ClusterRole>
        <d2p1:FriendlyName>HeadNodeRole</d2p1:FriendlyName>
        <d2p1:InstanceCount>2</d2p1:InstanceCount>
        <d2p1:RemoteDesktopSettings>
          <d2p1:AuthenticationCredential><d2p1:Password>secret-pw</d2p1:Password><d2p1:Username>rdp</d2p1:Username></d2p1:AuthenticationCredential>
          <d2p1:IsEnabled>true</d2p1:IsEnabled>
        </d2p1:RemoteDesktopSettings>
        <d2p1:VMSize>Large</d2p1:VMSize>
      </d2p1:ClusterRole>
    </d2p1:ClusterRoleCollection>
    <d2p1:Components>
      <d2p1:Gateway>
        <d2p1:IsEnabled>true</d2p1:IsEnabled>
        <d2p1:RestAuthCredential><d2p1:Password>gw-pw</d2p1:Password><d2p1:Username>admin</d2p1:Username></d2p1:RestAuthCredential>
      </d2p1:Gateway>
    </d2p1:Components>
    <d2p1:CreatedTime>2014-05-01T10:00:00Z</d2p1:CreatedTime>
    <d2p1:FullyQualifiedDnsName>mycluster.azurehdinsight.net</d2p1:FullyQualifiedDnsName>
    <d2p1:State>Running</d2p1:State>
  </Data>
  <Error i:nil="true"/>
</PassthroughResponse>"#;

const IAAS_CLUSTER: &str = r#"<PassthroughResponse xmlns="http://schemas.microsoft.com/hdinsight/2013/05/management" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <Data xmlns:a="http://schemas.microsoft.com/hdinsight/2014/05/management">
    <a:ApiVersion>1.0</a:ApiVersion>
    <a:ConnectivityEndpoints>
      <a:ConnectivityEndpoint>
        <a:Location>mycluster-ssh.azurehdinsight.net</a:Location><a:Name>SSH</a:Name><a:Port>22</a:Port><a:Protocol>TCP</a:Protocol>
        <a:Credentials><a:WebConnectivityCredential><a:Type>Basic</a:Type><a:Password>ssh-pw</a:Password><a:Username>sshuser</a:Username></a:WebConnectivityCredential></a:Credentials>
      </a:ConnectivityEndpoint>
    </a:ConnectivityEndpoints>
    <a:CreatedDate>2015-03-01T08:00:00Z</a:CreatedDate>
    <a:DeploymentDocuments><a:KeyValueOfstringstring><a:Key>ClusterType</a:Key><a:Value>Hadoop</a:Value></a:KeyValueOfstringstring></a:DeploymentDocuments>
    <a:HdiVersion>3.2</a:HdiVersion>
    <a:Id>mycluster</a:Id>
    <a:Location>East US</a:Location>
    <a:State>Running</a:State>
    <a:TenantId>12345</a:TenantId>
  </Data>
</PassthroughResponse>"#;

#[tokio::test]
async fn hdinsight_clusters_are_read_created_and_deleted() {
    let mock = MockServer::start().await;
    let c = mock_client(&mock);
    mock.push(xml_reply(CLUSTERS));
    let list = c.list_hd_insight_clusters().await.unwrap();
    let r = &list.cloud_service[0].resources[0];
    assert_eq!(r.name.as_deref(), Some("mycluster"));
    assert_eq!(r.output_items.len(), 2);
    assert_eq!(r.output_items[1].value.as_deref(), Some("4"));
    let intrinsic = &r.intrinsic_settings.as_ref().unwrap().array_of_output_item;
    assert_eq!(intrinsic[0].key.as_deref(), Some("ClusterUserName"));
    assert_eq!(
        r.cluster_operation_status
            .as_ref()
            .unwrap()
            .result
            .as_deref(),
        Some("Succeeded")
    );

    mock.push(xml_reply(CLUSTER));
    let got = c.get_hd_insight_cluster("cs", "mycluster").await.unwrap();
    assert!(got.error.is_none());
    let d = got.data.as_ref().expect("Data");
    assert_eq!(d.dns_name.as_deref(), Some("mycluster"));
    assert_eq!(d.cluster_role_collection[0].instance_count, Some(2));
    assert_eq!(
        d.cluster_role_collection[0].vm_size.as_deref(),
        Some("Large")
    );
    let gw = d.components.as_ref().unwrap().gateway.as_ref().unwrap();
    assert_eq!(gw.is_enabled, Some(true));
    assert_eq!(
        gw.rest_auth_credential
            .as_ref()
            .unwrap()
            .password
            .as_deref(),
        Some("gw-pw")
    );
    // Passwords are never printed.
    let printed = format!("{got:?}");
    assert!(
        !printed.contains("gw-pw") && !printed.contains("secret-pw"),
        "{printed}"
    );

    mock.push(xml_reply(IAAS_CLUSTER));
    let iaas = c
        .get_hd_insight_iaas_cluster("cs", "mycluster")
        .await
        .unwrap();
    let d = iaas.data.as_ref().expect("Data");
    assert_eq!(d.api_version, Some(1.0));
    assert_eq!(d.connectivity_endpoints[0].port, Some(22));
    assert_eq!(d.deployment_documents[0].value.as_deref(), Some("Hadoop"));
    assert_eq!(d.tenant_id, Some(12345));
    assert!(!format!("{iaas:?}").contains("ssh-pw"));

    // The create sends the payload as is; a 200 is done at once.
    let payload = r#"<ClusterContainer xmlns="http://schemas.datacontract.org/2004/07/Microsoft.ClusterServices.DataAccess.Context"><DnsName>mycluster</DnsName></ClusterContainer>"#;
    mock.push(Reply::new(200, "").header("x-ms-request-id", "0123456789abcdef0123456789abcdef"));
    c.create_hd_insight_cluster("cs", "mycluster", payload)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    mock.push(Reply::new(200, "").header("x-ms-request-id", "0123456789abcdef0123456789abcdef"));
    c.create_hd_insight_iaas_cluster("cs", "mycluster", payload)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    mock.push(Reply::new(200, "").header("x-ms-request-id", "0123456789abcdef0123456789abcdef"));
    c.delete_hd_insight_cluster("cs", "mycluster")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();

    let reqs = mock.captured();
    assert_eq!(reqs[0].path, format!("/{SUB}/cloudservices"));
    assert_eq!(
        reqs[0].query,
        "resourceProviderNamespace=hdinsight&resourceType=clusters"
    );
    assert_eq!(reqs[0].header("x-ms-version"), Some("2012-08-01"));
    assert_eq!(
        reqs[1].path,
        format!("/{SUB}/cloudservices/cs/resources/hdinsight/~/clusters/mycluster")
    );
    assert_eq!(
        reqs[2].path,
        format!("/{SUB}/cloudservices/cs/resources/hdinsight/~/iaasclusters/mycluster")
    );
    assert_eq!(reqs[3].method, "PUT");
    assert_eq!(
        reqs[3].path,
        format!("/{SUB}/cloudservices/cs/resources/HDInsight/clusters/mycluster")
    );
    assert_eq!(reqs[3].body, payload.as_bytes());
    assert!(reqs[3]
        .header("content-type")
        .unwrap()
        .starts_with("application/xml"));
    assert_eq!(
        reqs[4].path,
        format!("/{SUB}/cloudservices/cs/resources/HDInsight/iaasclusters/mycluster")
    );
    assert_eq!(reqs[5].method, "DELETE");
    assert_eq!(
        reqs[5].path,
        format!("/{SUB}/cloudservices/cs/resources/hdinsight/clusters/mycluster")
    );
}
