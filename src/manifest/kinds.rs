//! The workload kinds, in one table: where each kind keeps its pod
//! template, its replica count and its selector, which API groups it is
//! read from and at which version a cluster serves it. Typed views
//! ([`super::workload`]), rules, plans and live calls read these facts here.

/// A kind of object that runs pods from a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
    Pod,
    Rollout,
}

/// How a cluster serves a kind (what listing it there may expect).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// By every supported cluster.
    Always,
    /// Built in, but not by every cluster still in use.
    Optional,
    /// By a custom resource definition, when installed.
    Crd,
    /// Read from manifests, not listed from clusters.
    Legacy,
}

/// One row of the table.
#[derive(Debug)]
pub struct Kind {
    pub kind: WorkloadKind,
    /// `kind:` as written.
    pub name: &'static str,
    /// The API groups the kind is read from (`""`: core).
    pub groups: &'static [&'static str],
    /// The version a cluster serves and lists it at.
    pub api_version: &'static str,
    /// Pointer to the pod template (an object with `metadata` and `spec`); `""` for a Pod.
    pub template: &'static str,
    /// Pointer to the replica count, where the kind has one.
    pub replicas: Option<&'static str>,
    /// Pointer to the selector, where the kind has one (a Job's counts
    /// only with `manualSelector`; a ReplicationController's is a plain map).
    pub selector: Option<&'static str>,
    pub served: Served,
}

const TEMPLATE: &str = "/spec/template";
const REPLICAS: Option<&str> = Some("/spec/replicas");
const SELECTOR: Option<&str> = Some("/spec/selector");

/// Every workload kind, in [`WorkloadKind`] order.
pub const WORKLOADS: [Kind; 9] = [
    Kind {
        kind: WorkloadKind::Deployment,
        name: "Deployment",
        groups: &["apps", "extensions"],
        api_version: "apps/v1",
        template: TEMPLATE,
        replicas: REPLICAS,
        selector: SELECTOR,
        served: Served::Always,
    },
    Kind {
        kind: WorkloadKind::StatefulSet,
        name: "StatefulSet",
        groups: &["apps"],
        api_version: "apps/v1",
        template: TEMPLATE,
        replicas: REPLICAS,
        selector: SELECTOR,
        served: Served::Always,
    },
    Kind {
        kind: WorkloadKind::DaemonSet,
        name: "DaemonSet",
        groups: &["apps", "extensions"],
        api_version: "apps/v1",
        template: TEMPLATE,
        replicas: None,
        selector: SELECTOR,
        served: Served::Always,
    },
    Kind {
        kind: WorkloadKind::ReplicaSet,
        name: "ReplicaSet",
        groups: &["apps", "extensions"],
        api_version: "apps/v1",
        template: TEMPLATE,
        replicas: REPLICAS,
        selector: SELECTOR,
        served: Served::Always,
    },
    Kind {
        kind: WorkloadKind::ReplicationController,
        name: "ReplicationController",
        groups: &[""],
        api_version: "v1",
        template: TEMPLATE,
        replicas: REPLICAS,
        selector: SELECTOR,
        served: Served::Legacy,
    },
    Kind {
        kind: WorkloadKind::Job,
        name: "Job",
        groups: &["batch"],
        api_version: "batch/v1",
        template: TEMPLATE,
        replicas: None,
        selector: SELECTOR,
        served: Served::Always,
    },
    Kind {
        kind: WorkloadKind::CronJob,
        name: "CronJob",
        groups: &["batch"],
        api_version: "batch/v1",
        template: "/spec/jobTemplate/spec/template",
        replicas: None,
        selector: None,
        served: Served::Optional,
    },
    Kind {
        kind: WorkloadKind::Pod,
        name: "Pod",
        groups: &[""],
        api_version: "v1",
        template: "",
        replicas: None,
        selector: None,
        served: Served::Always,
    },
    Kind {
        kind: WorkloadKind::Rollout,
        name: "Rollout",
        groups: &["argoproj.io"],
        api_version: "argoproj.io/v1alpha1",
        template: TEMPLATE,
        replicas: REPLICAS,
        selector: SELECTOR,
        served: Served::Crd,
    },
];

impl WorkloadKind {
    /// This kind's row of the table.
    pub fn info(self) -> &'static Kind {
        &WORKLOADS[self as usize]
    }

    /// The workload kind of an object of API group `group` and kind `kind`.
    pub fn of(group: &str, kind: &str) -> Option<WorkloadKind> {
        by_name(kind).filter(|k| k.groups.contains(&group)).map(|k| k.kind)
    }
}

/// The row of a workload kind by its name alone (any group).
pub fn by_name(kind: &str) -> Option<&'static Kind> {
    WORKLOADS.iter().find(|k| k.name == kind)
}

/// Is `kind` the name of a workload kind?
pub fn is_workload(kind: &str) -> bool {
    by_name(kind).is_some()
}

/// Does an object of kind `kind` select pods with a plain map (`{app: web}`:
/// a Service, a ReplicationController) rather than a LabelSelector?
pub fn selects_by_map(kind: &str) -> bool {
    kind == "Service" || kind == WorkloadKind::ReplicationController.info().name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_enum_order_and_found_by_group_and_name() {
        for (i, k) in WORKLOADS.iter().enumerate() {
            assert_eq!(k.kind as usize, i, "{}", k.name);
            assert_eq!(format!("{:?}", k.kind), k.name);
            assert!(k.api_version.starts_with(&format!("{}/", k.groups[0])) || (k.groups[0].is_empty() && k.api_version == "v1"));
        }
        assert_eq!(WorkloadKind::of("extensions", "Deployment"), Some(WorkloadKind::Deployment));
        assert_eq!(WorkloadKind::of("extensions", "StatefulSet"), None);
        assert_eq!(WorkloadKind::of("", "Pod"), Some(WorkloadKind::Pod));
        assert_eq!(WorkloadKind::of("example.com", "Rollout"), None);
        assert_eq!(WorkloadKind::CronJob.info().template, "/spec/jobTemplate/spec/template");
        assert!(is_workload("Rollout") && !is_workload("Service"));
    }
}
