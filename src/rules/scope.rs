//! The application scope: which objects of a run are deployed together, the
//! one notion every cross-object relation uses (Services and the pods they
//! select, autoscalers, disruption budgets, monitors, selector overlaps, the
//! custom resources behind a Service).
//!
//! A run's files fall into *units*:
//! - the output of one `kubectl kustomize` build or one `helm template` render
//!   is one unit;
//! - a plain file belongs to the highest folder above it whose files could be
//!   applied together: no two of its files define the same object (kind,
//!   namespace, name). Folders of a repository of examples or environments
//!   (`v1/`, `v2/`, `prod/`, `staging/`), each holding its own copy of an
//!   application, are therefore separate units, while an application split by
//!   kind (`deploy/`, `services/`, `policies/`) is one. When a folder itself
//!   holds two copies of one object, it is its own unit.
//!
//! Two objects are *together* when they are in one unit and their namespaces
//! can be equal: both set and equal, or one unset (an object without a
//! namespace goes to the namespace its unit is applied to).

use super::index::Summary;
use crate::manifest::workload::same_namespace;

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// The unit of each file of a run, as a number.
pub(super) struct Units {
    of_file: Vec<usize>,
}

impl Units {
    /// `files[i]` names file `i`; `rendered(i)` says whether it is the output
    /// of a render (a unit of its own).
    pub(super) fn new(files: &[&str], rendered: &dyn Fn(usize) -> bool, objects: &[Summary]) -> Self {
        let folder = |f: usize| -> Vec<&str> {
            let name = files.get(f).copied().unwrap_or("");
            let mut parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
            parts.pop();
            parts
        };
        // The files defining each object identity (plain files only).
        let mut defined: HashMap<(&str, Option<&str>, &str), Vec<usize>> = HashMap::default();
        for o in objects.iter().filter(|o| !rendered(o.file)) {
            let Some(name) = o.name.as_deref() else { continue };
            let at = defined.entry((o.kind.as_str(), o.namespace.as_deref(), name)).or_default();
            if !at.contains(&o.file) {
                at.push(o.file);
            }
        }
        // A folder is split when two of its files define one object: every
        // common folder of two such files is, i.e. every prefix of their
        // lowest common folder. Sorted by folder, the lowest common folders of
        // neighbours cover those of every pair.
        let mut split: HashSet<Vec<&str>> = HashSet::default();
        for list in defined.values().filter(|l| l.len() > 1) {
            let mut folders: Vec<Vec<&str>> = list.iter().map(|&f| folder(f)).collect();
            folders.sort();
            for pair in folders.windows(2) {
                let common = pair[0].iter().zip(&pair[1]).take_while(|(a, b)| a == b).count();
                for n in 0..=common {
                    split.insert(pair[0][..n].to_vec());
                }
            }
        }
        #[derive(PartialEq, Eq, Hash)]
        enum Key<'a> {
            Folder(Vec<&'a str>),
            Render(usize),
        }
        let mut ids: HashMap<Key, usize> = HashMap::default();
        let of_file = (0..files.len())
            .map(|f| {
                let key = if rendered(f) {
                    Key::Render(f)
                } else {
                    let parts = folder(f);
                    let top = (0..=parts.len()).find(|&n| !split.contains(&parts[..n])).unwrap_or(parts.len());
                    Key::Folder(parts[..top].to_vec())
                };
                let n = ids.len();
                *ids.entry(key).or_insert(n)
            })
            .collect();
        Units { of_file }
    }

    /// The unit of a file.
    pub(super) fn of(&self, file: usize) -> usize {
        self.of_file.get(file).copied().unwrap_or(usize::MAX)
    }

    /// Are two objects deployed together (see the module's documentation)?
    pub(super) fn together(&self, a: &Summary, b: &Summary) -> bool {
        self.of(a.file) == self.of(b.file) && same_namespace(a.namespace.as_deref(), b.namespace.as_deref())
    }
}
