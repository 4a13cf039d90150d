//! Deliveries and drops by namespace without a lock per delivery: namespaces are
//! fixed by the configuration, so each gets its counters once, at startup, and a
//! delivery finds them by the channel's prefix.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

/// The label of the by-namespace families: the namespace's name, `""` for the default one.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NamespaceLabel {
    /// The namespace (the channel's prefix up to the first `:` when it has its own table).
    pub namespace: String,
}

/// One namespace's counters (clones of its families' members: they share the values).
#[derive(Debug, Clone)]
pub struct NamespaceCounters {
    /// Published messages handed to a subscriber of a channel of this namespace.
    pub deliveries: Counter,
    /// Messages of this namespace's channels not delivered (a full or closing queue).
    pub drops: Counter,
}

/// The counters of every configured namespace, found by channel as
/// [`Config::namespace_of`](crate::Config::namespace_of) finds its settings.
#[derive(Debug)]
pub struct Namespaces {
    /// The named namespaces, sorted by name (for a binary search).
    named: Vec<(Box<str>, NamespaceCounters)>,
    default: NamespaceCounters,
}

impl Namespaces {
    /// Resolves the members of `deliveries` and `drops` for the default namespace and each of `named`.
    pub fn new<'a>(
        named: impl IntoIterator<Item = &'a str>,
        deliveries: &Family<NamespaceLabel, Counter>,
        drops: &Family<NamespaceLabel, Counter>,
    ) -> Self {
        let counters = |name: &str| {
            let label = NamespaceLabel {
                namespace: name.to_string(),
            };
            NamespaceCounters {
                deliveries: deliveries.get_or_create_owned(&label),
                drops: drops.get_or_create_owned(&label),
            }
        };
        let mut named: Vec<(Box<str>, NamespaceCounters)> =
            named.into_iter().map(|n| (Box::from(n), counters(n))).collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        named.dedup_by(|a, b| a.0 == b.0);
        Namespaces {
            default: counters(""),
            named,
        }
    }

    /// The counters of `channel`'s namespace: its prefix up to the first `:` if
    /// that namespace is configured, else the default namespace's.
    pub fn of(&self, channel: &str) -> &NamespaceCounters {
        if self.named.is_empty() {
            return &self.default;
        }
        channel
            .split_once(':')
            .and_then(|(name, _)| {
                self.named
                    .binary_search_by(|(n, _)| (**n).cmp(name))
                    .ok()
                    .map(|i| &self.named[i].1)
            })
            .unwrap_or(&self.default)
    }

    /// Every namespace's name (`""` for the default one) and counters, the default one first.
    pub fn named(&self) -> impl Iterator<Item = (&str, &NamespaceCounters)> {
        std::iter::once(("", &self.default)).chain(self.named.iter().map(|(n, c)| (&**n, c)))
    }

    /// Every namespace's counters, the default one first.
    pub fn all(&self) -> impl Iterator<Item = &NamespaceCounters> {
        std::iter::once(&self.default).chain(self.named.iter().map(|(_, c)| c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_counts_in_its_configured_namespace_or_the_default_one() {
        let (d, x) = (Family::default(), Family::default());
        let ns = Namespaces::new(["chat", "news"], &d, &x);
        ns.of("chat:room").deliveries.inc();
        ns.of("news:1:2").deliveries.inc();
        ns.of("other:x").deliveries.inc();
        ns.of("chat").deliveries.inc();
        let get = |n: &str| d.get(&NamespaceLabel { namespace: n.into() }).map(|c| c.get());
        assert_eq!((get("chat"), get("news"), get("")), (Some(1), Some(1), Some(2)));
        assert_eq!(ns.all().map(|c| c.deliveries.get()).sum::<u64>(), 4);
    }
}
