//! Text lists already read in a document, to be cloned when the same bytes
//! come again.
//!
//! The service repeats whole lists within one answer: every location of
//! ListLocations carries the same role sizes, every affinity group the same
//! capabilities. A text list's value depends only on its bytes, from just
//! after its wrapper's start tag to the wrapper's end tag, and on the
//! wrapper, the item name and the value type (the reader has no other
//! state that a list's value depends on: no DTD, the same document). So
//! when those bytes equal a list read before in the same document, under a
//! wrapper of the same name, for the same item name and type, the value is
//! the earlier one, cloned: one comparison of the bytes instead of reading
//! every item.
//!
//! Each list read is kept (cloned) with the place of its bytes. Bounded:
//! lists of up to [`MAX_ITEMS`] items and [`MAX_BYTES`] bytes, item names
//! of up to [`MAX_ITEM_NAME`] bytes, [`MAX_SLOTS`] kinds of list per
//! document, the last [`VARIANTS`] different contents of each; a kind
//! whose lists do not repeat (more than twice as many misses as repeats,
//! after [`TRIAL`] misses) is no longer looked up or recorded.

use std::any::{Any, TypeId};

use super::eq_bytes;

/// Lists of more items than this are not recorded.
const MAX_ITEMS: usize = 64;
/// Lists of more bytes than this are not recorded.
const MAX_BYTES: usize = 4096;
/// Kinds of list (wrapper, item, type) recorded per document.
const MAX_SLOTS: usize = 16;
/// Different contents kept per kind.
const VARIANTS: usize = 2;
/// Misses before a kind can be given up.
const TRIAL: u32 = 8;
/// Longest item name recorded.
pub(super) const MAX_ITEM_NAME: usize = 32;

/// The lists recorded so far in one document.
#[derive(Default)]
pub(super) struct ListMemo {
    slots: Vec<Slot>,
    clock: u64,
}

/// One kind of list: its wrapper's name, item name and value type.
struct Slot {
    type_id: TypeId,
    item: [u8; MAX_ITEM_NAME],
    item_len: usize,
    /// The recorded wrapper's qualified name in the input (offset, length).
    wrapper: (usize, usize),
    variants: [Variant; VARIANTS],
    hits: u32,
    misses: u32,
}

/// One content of a kind of list.
#[derive(Default)]
struct Variant {
    /// Its bytes in the input, the list's content and the wrapper's end
    /// tag; empty for none.
    span: (usize, usize),
    /// `Vec<T>`, its items.
    items: Option<Box<dyn Any>>,
    /// The clock when it was last recorded or used.
    used: u64,
}

impl Slot {
    fn given_up(&self) -> bool {
        self.misses >= TRIAL && self.misses > 2 * self.hits
    }
}

/// What [`ListMemo::find`] found for a list about to be read (`S` is its
/// items, `[T]`; `dyn Any` inside the memo, before the type is looked at).
pub(super) enum Found<'m, S: ?Sized> {
    /// A list recorded before with the same bytes: its items, and the
    /// length of its bytes.
    Same(&'m S, usize),
    /// None: the list is read, then given to [`ListMemo::record`] with
    /// this.
    Read(Place),
    /// None, and lists of this kind are not recorded (they do not repeat).
    Off,
}

/// Where a list that was read goes in the memo.
pub(super) enum Place {
    /// A new kind of list.
    NewSlot,
    /// A kind already recorded (this slot), whose lists so far differ from
    /// this one.
    NewContent(usize),
}

impl ListMemo {
    /// How many lists were cloned.
    #[cfg(test)]
    pub(super) fn hits(&self) -> u32 {
        self.slots.iter().map(|s| s.hits).sum()
    }

    /// The slot for this kind of list: wrapper `wrapper` (its name's
    /// offset and length in `input`), item `item`, value type `type_id`.
    fn slot(
        &self,
        type_id: TypeId,
        input: &[u8],
        wrapper: (usize, usize),
        item: &[u8],
    ) -> Option<usize> {
        let name = input.get(wrapper.0..wrapper.0 + wrapper.1)?;
        self.slots.iter().position(|s| {
            s.item_len == item.len()
                && s.type_id == type_id
                && s.item.get(..s.item_len).is_some_and(|i| eq_bytes(i, item))
                && input
                    .get(s.wrapper.0..s.wrapper.0 + s.wrapper.1)
                    .is_some_and(|n| eq_bytes(n, name))
        })
    }

    /// A list recorded before whose bytes are those at `at` in `input`
    /// (just after the start tag of `wrapper`, whose name's offset and
    /// length are given), for item `item` (at most [`MAX_ITEM_NAME`]
    /// bytes) and type `T`.
    #[inline]
    pub(super) fn find<T: 'static>(
        &mut self,
        input: &[u8],
        at: usize,
        wrapper: (usize, usize),
        item: &[u8],
    ) -> Found<'_, [T]> {
        if self.slots.is_empty() {
            return Found::Read(Place::NewSlot);
        }
        match self.search(TypeId::of::<Vec<T>>(), input, at, wrapper, item) {
            Found::Same(items, len) => match items.downcast_ref::<Vec<T>>() {
                Some(items) => Found::Same(items, len),
                None => Found::Off,
            },
            Found::Read(place) => Found::Read(place),
            Found::Off => Found::Off,
        }
    }

    /// [`find`](Self::find) for the type `type_id` (one copy of the code
    /// for every type).
    #[inline(never)]
    fn search(
        &mut self,
        type_id: TypeId,
        input: &[u8],
        at: usize,
        wrapper: (usize, usize),
        item: &[u8],
    ) -> Found<'_, dyn Any> {
        let Some(index) = self.slot(type_id, input, wrapper, item) else {
            return Found::Read(Place::NewSlot);
        };
        self.clock += 1;
        let clock = self.clock;
        let Some(slot) = self.slots.get_mut(index) else {
            return Found::Read(Place::NewSlot);
        };
        if slot.given_up() {
            return Found::Off;
        }
        let same = slot.variants.iter().position(|v| {
            let len = v.span.1 - v.span.0;
            len > 0 && input.get(at..at + len) == input.get(v.span.0..v.span.1)
        });
        let Some(variant) = same.and_then(|i| slot.variants.get_mut(i)) else {
            slot.misses += 1;
            return Found::Read(Place::NewContent(index));
        };
        slot.hits += 1;
        variant.used = clock;
        let len = variant.span.1 - variant.span.0;
        match &variant.items {
            Some(items) => Found::Same(&**items, len),
            None => Found::Off,
        }
    }

    /// Records the list just read: `span` its bytes in the input (from just
    /// after the wrapper's start tag to the end of its end tag), `items`
    /// its values, `place` what [`find`](Self::find) said.
    pub(super) fn record<T: Clone + 'static>(
        &mut self,
        place: Place,
        span: (usize, usize),
        wrapper: (usize, usize),
        item: &[u8],
        items: &[T],
    ) {
        let type_id = TypeId::of::<Vec<T>>();
        let Some(kept) = self.place(place, type_id, span, items.len(), wrapper, item) else {
            return;
        };
        match kept.as_mut().and_then(|b| b.downcast_mut::<Vec<T>>()) {
            Some(kept) => {
                kept.clear();
                kept.extend_from_slice(items);
            }
            None => *kept = Some(Box::new(items.to_vec())),
        }
    }

    /// [`record`](Self::record) but for the items themselves (one copy of
    /// the code for every type; `count` is how many): the place for them,
    /// its `Vec` to reuse if any, or `None` when the list is not recorded.
    #[inline(never)]
    fn place(
        &mut self,
        place: Place,
        type_id: TypeId,
        span: (usize, usize),
        count: usize,
        wrapper: (usize, usize),
        item: &[u8],
    ) -> Option<&mut Option<Box<dyn Any>>> {
        if count > MAX_ITEMS || span.1.saturating_sub(span.0) > MAX_BYTES {
            return None;
        }
        self.clock += 1;
        let clock = self.clock;
        let variant = match place {
            Place::NewSlot => {
                let mut name = [0; MAX_ITEM_NAME];
                name.get_mut(..item.len())?.copy_from_slice(item);
                if self.slots.len() >= MAX_SLOTS {
                    return None;
                }
                if self.slots.is_empty() {
                    self.slots.reserve_exact(4);
                }
                self.slots.push(Slot {
                    type_id,
                    item: name,
                    item_len: item.len(),
                    wrapper,
                    variants: Default::default(),
                    hits: 0,
                    misses: 0,
                });
                self.slots.last_mut()?.variants.first_mut()?
            }
            // The content used longest ago gives way; its `Vec` is reused.
            Place::NewContent(index) => self
                .slots
                .get_mut(index)?
                .variants
                .iter_mut()
                .min_by_key(|v| v.used)?,
        };
        variant.span = span;
        variant.used = clock;
        Some(&mut variant.items)
    }
}
