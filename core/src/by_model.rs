//! One value per model type, for the per-session stores ([`UniqueCache`](crate::unique::UniqueCache),
//! [`Loaded`](crate::identity::Loaded)).
//!
//! A session touches few models, so the slots are a short list searched by
//! `TypeId` (a comparison each) rather than a hash map, which would hash the
//! `TypeId` on every get-or-create and every loaded row.

use std::any::{Any, TypeId};

type Slot = (TypeId, Box<dyn Any + Send + Sync>);

/// A `T` per model type `M`, each made on first use.
///
/// The first model's slot is kept inline: most sessions touch one model
/// per store, and a session is often one short transaction.
#[derive(Default)]
pub(crate) struct ByModel {
    first: Option<Slot>,
    rest: Vec<Slot>,
}

impl ByModel {
    /// The slot of model `M`, if it was made.
    pub(crate) fn get<M: 'static, T: 'static>(&self) -> Option<&T> {
        let id = TypeId::of::<M>();
        let slot = match &self.first {
            Some((t, slot)) if *t == id => slot,
            _ => &self.rest.iter().find(|(t, _)| *t == id)?.1,
        };
        slot.downcast_ref::<T>()
    }

    /// The slot of model `M`, made empty (`T::default()`) if there is none.
    ///
    /// `None` only if `M`'s slot holds another type than `T`, which the
    /// typed callers in this crate never store.
    pub(crate) fn get_or_default<M: 'static, T: Default + Send + Sync + 'static>(
        &mut self,
    ) -> Option<&mut T> {
        let id = TypeId::of::<M>();
        let new = || -> Slot { (id, Box::new(T::default())) };
        if self.first.is_none() {
            self.first = Some(new());
        }
        let slot = if self.first.as_ref().is_some_and(|(t, _)| *t == id) {
            self.first.as_mut()?
        } else if let Some(at) = self.rest.iter().position(|(t, _)| *t == id) {
            &mut self.rest[at]
        } else {
            self.rest.push(new());
            self.rest.last_mut()?
        };
        slot.1.downcast_mut::<T>()
    }

    /// Drops the slot of model `M`.
    pub(crate) fn remove<M: 'static>(&mut self) {
        let id = TypeId::of::<M>();
        if self.first.as_ref().is_some_and(|(t, _)| *t == id) {
            self.first = self.rest.pop();
        } else {
            self.rest.retain(|(t, _)| *t != id);
        }
    }

    /// Drops every slot.
    pub(crate) fn clear(&mut self) {
        self.first = None;
        self.rest.clear();
    }

    /// How many models have a slot.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct A;
    struct B;

    #[test]
    fn slots_are_per_model_and_made_on_first_use() {
        let mut m = ByModel::default();
        assert!(m.get::<A, Vec<i32>>().is_none());
        m.get_or_default::<A, Vec<i32>>().unwrap().push(1);
        m.get_or_default::<B, Vec<i32>>().unwrap().push(2);
        m.get_or_default::<A, Vec<i32>>().unwrap().push(3);
        assert_eq!(m.get::<A, Vec<i32>>(), Some(&vec![1, 3]));
        assert_eq!(m.get::<B, Vec<i32>>(), Some(&vec![2]));
        assert!(m.get::<A, String>().is_none(), "another type is not found");
        m.remove::<A>();
        assert!(m.get::<A, Vec<i32>>().is_none());
        assert_eq!(m.get::<B, Vec<i32>>(), Some(&vec![2]), "the others stay");
        assert_eq!(m.len(), 1);
        m.get_or_default::<A, Vec<i32>>().unwrap().push(4);
        m.remove::<B>();
        assert_eq!(m.get::<A, Vec<i32>>(), Some(&vec![4]));
        assert_eq!(m.len(), 1);
        m.clear();
        assert_eq!(m.len(), 0);
    }
}
