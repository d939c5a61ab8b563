//! `status deployment/NAME`: each track's progress in the cluster, where the Service routes.

use super::{Exit, write_stdout};
use crate::cli::{StatusArgs, StatusFormat};
use crate::live;
use crate::strategy::WorkloadRef;

pub fn run(args: StatusArgs) -> Exit {
    let kube = &args.kube;
    let target = WorkloadRef::parse(&args.target, kube.namespace.clone())?;
    let conn = live::Conn::connect(&kube.into())?;
    let status = live::status::read(&conn, &target.name)?;
    let text = match args.output {
        StatusFormat::Text => status.render_text(&target.name, &conn.cluster_label()),
        StatusFormat::Json => serde_json::to_string_pretty(&status.to_json(&target.name))? + "\n",
    };
    write_stdout(&text)?;
    Ok(u8::from(!status.healthy()))
}
