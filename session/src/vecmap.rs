//! Sorted-`Vec` map and set: what the session needs of `BTreeMap` / `BTreeSet`
//! for its few pending calls and its subscriptions, in a fraction of the code
//! (33 KB less in the browser's wasm).

use alloc::string::String;
use alloc::vec::Vec;

/// A map kept sorted by key.
#[derive(Debug, Clone)]
pub(crate) struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

impl<K: Ord + Copy, V> VecMap<K, V> {
    fn find(&self, k: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(x, _)| x.cmp(k))
    }

    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(core::mem::replace(&mut self.0[i].1, v)),
            Err(i) => {
                self.0.insert(i, (k, v));
                None
            }
        }
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.find(k).ok().map(|i| self.0.remove(i).1)
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k).ok().map(|i| &mut self.0[i].1)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn clear(&mut self) {
        self.0.clear()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = alloc::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A set of names kept sorted.
#[derive(Debug, Clone, Default)]
pub(crate) struct VecSet(Vec<String>);

impl VecSet {
    pub fn new() -> Self {
        VecSet(Vec::new())
    }

    pub fn insert(&mut self, s: String) -> bool {
        match self.0.binary_search(&s) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, s);
                true
            }
        }
    }

    pub fn remove(&mut self, s: &str) -> bool {
        match self.0.binary_search_by(|x| x.as_str().cmp(s)) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub fn contains(&self, s: &str) -> bool {
        self.0.binary_search_by(|x| x.as_str().cmp(s)).is_ok()
    }

    pub fn iter(&self) -> core::slice::Iter<'_, String> {
        self.0.iter()
    }
}
