//! The application scope: which objects of a run are deployed together, the
//! one notion every cross-object relation uses (Services and the pods they
//! select, autoscalers, disruption budgets, monitors, selector overlaps, the
//! custom resources behind a Service).
//!
//! A run's files fall into *units*:
//! - the output of one `kubectl kustomize` build or one `helm template` render
//!   is one unit;
//! - a plain file belongs to the highest folder above it whose files could be
//!   applied together: no two of its files define the same object (API group,
//!   kind and name). Folders of a repository of examples or environments
//!   (`v1/`, `v2/`, `prod/`, `staging/`), each holding its own copy of an
//!   application, are therefore separate units, while an application split by
//!   kind (`deploy/`, `services/`, `policy/`) is one. When a folder itself
//!   holds two copies of one object, its own files are a unit.
//!
//! A unit is also deployed with the units of plain files in the folders above
//! it (above its root, for a render): files beside variant folders are what
//! the variants share, a base applied with each, unless they define one of
//! the unit's objects too (an all-in-one file beside the separate ones). Two
//! sibling units, and two renders, are never deployed together: sibling
//! folders are as often separate applications (a repository of examples) as
//! parts of one.
//!
//! Two objects are *together* when their units are, and their namespaces can
//! be equal: both set and equal, or one unset (an object without a namespace
//! goes to the namespace its unit is applied to).

use crate::manifest::workload::same_namespace;

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// What the scope needs to know of an object.
pub(super) trait Placed {
    /// The index of its file in the run.
    fn file(&self) -> usize;
    /// Its namespace, when set.
    fn namespace(&self) -> Option<&str>;
    /// What names it in a cluster apart from its namespace: API group, kind, name.
    fn identity(&self) -> (&str, &str, Option<&str>);
}

/// The unit of each file of a run, as a number, and which units are deployed together.
pub(super) struct Units {
    of_file: Vec<usize>,
    rendered: Vec<bool>,
    /// For each unit, the units deployed with it (itself, the units of plain
    /// files above it and those it is above), ascending.
    related: Vec<Vec<usize>>,
}

#[derive(PartialEq, Eq, Hash)]
enum Key {
    Folder(Vec<String>),
    Render(usize),
}

impl Units {
    /// `files[i]` names file `i`; `rendered(i)` says whether it is the output
    /// of a render (a unit of its own).
    pub(super) fn new(files: &[&str], rendered: &dyn Fn(usize) -> bool, objects: &[impl Placed]) -> Self {
        // Each file's folder, absolute and without `.`/`..`: names given on the
        // command line and render roots (shown relative to the working
        // directory, or absolute outside it) compare alike.
        // Worked out once per folder named, not per file.
        let cwd = std::env::current_dir().unwrap_or_default();
        let (mut seen, mut folders) = (HashMap::<&str, usize>::default(), Vec::<Vec<String>>::new());
        let folder_of: Vec<usize> = files
            .iter()
            .map(|name| {
                let parent = name.rsplit_once('/').map_or("", |(p, _)| p);
                *seen.entry(parent).or_insert_with(|| {
                    let path = crate::input::lexical(&cwd.join(parent));
                    folders.push(path.iter().map(|c| c.to_string_lossy().into_owned()).collect());
                    folders.len() - 1
                })
            })
            .collect();
        let dirs: Vec<&[String]> = folder_of.iter().map(|&i| folders[i].as_slice()).collect();
        // The files defining each object identity.
        let mut defined: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::default();
        for o in objects {
            let (group, kind, Some(name)) = o.identity() else { continue };
            let at = defined.entry((group, kind, name)).or_default();
            if !at.contains(&o.file()) {
                at.push(o.file());
            }
        }
        // A folder is split when two of its plain files define one object: every
        // common folder of two such files is, i.e. every prefix of their
        // lowest common folder. Sorted by folder, the lowest common folders of
        // neighbours cover those of every pair.
        let mut split: HashSet<&[String]> = HashSet::default();
        for list in defined.values().filter(|l| l.len() > 1) {
            let mut folders: Vec<&[String]> = list.iter().filter(|&&f| !rendered(f)).map(|&f| dirs[f]).collect();
            folders.sort();
            for pair in folders.windows(2) {
                let common = pair[0].iter().zip(pair[1]).take_while(|(a, b)| a == b).count();
                split.extend((0..=common).map(|n| &pair[0][..n]));
            }
        }
        // Each unit's key, and its folder (a render's root for a render).
        let mut ids: HashMap<Key, usize> = HashMap::default();
        let mut paths: Vec<&[String]> = Vec::new();
        let mut of_file = Vec::with_capacity(files.len());
        for (f, &dir) in dirs.iter().enumerate() {
            let (key, path) = if rendered(f) {
                (Key::Render(f), dir)
            } else {
                let top = (0..=dir.len()).find(|&n| !split.contains(&dir[..n])).unwrap_or(dir.len());
                (Key::Folder(dir[..top].to_vec()), &dir[..top])
            };
            let n = ids.len();
            of_file.push(*ids.entry(key).or_insert_with(|| {
                paths.push(path);
                n
            }));
        }
        // Units that define one object are alternatives.
        let mut clash: HashSet<(usize, usize)> = HashSet::default();
        for list in defined.values().filter(|l| l.len() > 1) {
            let mut units: Vec<usize> = list.iter().map(|&f| of_file[f]).collect();
            units.sort_unstable();
            units.dedup();
            for (i, &u) in units.iter().enumerate() {
                clash.extend(units[i + 1..].iter().map(|&v| (u, v)));
            }
        }
        let mut related: Vec<Vec<usize>> = (0..paths.len()).map(|u| vec![u]).collect();
        for (u, p) in paths.iter().enumerate() {
            for above in (0..p.len()).filter_map(|n| ids.get(&Key::Folder(p[..n].to_vec())).copied()) {
                if !clash.contains(&(above.min(u), above.max(u))) {
                    related[u].push(above);
                    related[above].push(u);
                }
            }
        }
        for r in &mut related {
            r.sort_unstable();
        }
        Units { of_file, rendered: (0..files.len()).map(rendered).collect(), related }
    }

    /// Whether a file is the output of a render.
    pub(super) fn is_rendered(&self, file: usize) -> bool {
        self.rendered.get(file).copied().unwrap_or(false)
    }

    /// The unit of a file.
    pub(super) fn of(&self, file: usize) -> usize {
        self.of_file.get(file).copied().unwrap_or(usize::MAX)
    }

    /// The units deployed together with a unit (itself included), ascending.
    pub(super) fn related_to(&self, u: usize) -> impl Iterator<Item = usize> + '_ {
        self.related.get(u).into_iter().flatten().copied()
    }

    /// Are two objects deployed together (see the module's documentation)?
    pub(super) fn together(&self, a: &impl Placed, b: &impl Placed) -> bool {
        let (u, v) = (self.of(a.file()), self.of(b.file()));
        self.related.get(u).is_some_and(|r| r.binary_search(&v).is_ok()) && same_namespace(a.namespace(), b.namespace())
    }
}
