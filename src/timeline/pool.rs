//! The jobs' accumulators, kept in chunks of their own and freed a chunk at a time.
//!
//! An accumulator lives from a job's first line to the end of the scan; the lines the job keeps
//! as evidence live on into the report. Boxed one by one, accumulators and lines of the same
//! size shared the allocator's pages, so finishing the jobs freed 448-byte holes between lines
//! that stay, no page came free, and a finished run still held every accumulator's memory (45
//! MiB of resident memory at 100k jobs, a tenth of the run's peak, measured). In chunks of
//! their own, accumulators share pages with nothing, and a chunk is freed as soon as its last
//! job is finished. Jobs are finished in time order and a file's jobs were seen in time order,
//! so chunks empty one after another.

/// Where an accumulator is: (chunk, slot). Stable for the accumulator's life: a chunk's storage
/// is reserved when the chunk is made and never grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Id {
    chunk: u32,
    slot: u32,
}

/// Chunks hold 4, 8, 16, … up to this many values: a small log's builder (one per file) takes
/// a few slots, a large one fills chunks of about 100 KiB.
const MAX_CHUNK: usize = 256;

#[derive(Debug, Default)]
struct Chunk<T> {
    items: Vec<T>,
    /// Values not yet taken; at zero the chunk's storage is freed.
    live: usize,
}

/// Values of one kind in chunks; see the module docs.
#[derive(Debug)]
pub(super) struct Pool<T> {
    chunks: Vec<Chunk<T>>,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool { chunks: Vec::new() }
    }
}

impl<T: Default> Pool<T> {
    /// Stores `v` and says where.
    pub(super) fn insert(&mut self, v: T) -> Id {
        let full = self
            .chunks
            .last()
            .is_none_or(|c| c.items.len() == c.items.capacity());
        if full {
            let size = (4usize << self.chunks.len().min(6)).min(MAX_CHUNK);
            self.chunks.push(Chunk {
                items: Vec::with_capacity(size),
                live: 0,
            });
        }
        let chunk = self.chunks.len() - 1;
        let c = &mut self.chunks[chunk];
        c.items.push(v);
        c.live += 1;
        Id {
            chunk: chunk as u32,
            slot: (c.items.len() - 1) as u32,
        }
    }

    pub(super) fn get(&self, id: Id) -> &T {
        &self.chunks[id.chunk as usize].items[id.slot as usize]
    }

    pub(super) fn get_mut(&mut self, id: Id) -> &mut T {
        &mut self.chunks[id.chunk as usize].items[id.slot as usize]
    }

    /// Moves the value out (leaving `T::default()`); frees the chunk once all its values are out.
    /// Each id is taken at most once.
    pub(super) fn take(&mut self, id: Id) -> T {
        let c = &mut self.chunks[id.chunk as usize];
        let v = std::mem::take(&mut c.items[id.slot as usize]);
        c.live -= 1;
        if c.live == 0 {
            c.items = Vec::new();
        }
        v
    }

    /// Adopts `other`'s chunks without moving a value; returns how to rename its ids
    /// ([`Id::shifted`]).
    pub(super) fn append(&mut self, other: Pool<T>) -> u32 {
        let offset = self.chunks.len() as u32;
        self.chunks.extend(other.chunks);
        offset
    }
}

impl Id {
    /// The id of a value of a pool appended at `offset` ([`Pool::append`]).
    pub(super) fn shifted(self, offset: u32) -> Id {
        Id {
            chunk: self.chunk + offset,
            slot: self.slot,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_is_freed_when_its_last_value_is_taken() {
        let mut p: Pool<String> = Pool::default();
        let ids: Vec<Id> = (0..12).map(|i| p.insert(i.to_string())).collect();
        // chunks of 4 and 8
        assert_eq!(p.chunks.len(), 2);
        for id in &ids[..3] {
            p.take(*id);
        }
        assert!(p.chunks[0].items.capacity() > 0);
        assert_eq!(p.take(ids[3]), "3");
        assert_eq!(p.chunks[0].items.capacity(), 0);
        assert_eq!(p.get(ids[4]), "4");
    }

    #[test]
    fn appended_ids_are_shifted() {
        let mut a: Pool<u32> = Pool::default();
        let mut b: Pool<u32> = Pool::default();
        a.insert(1);
        let id = b.insert(2);
        let off = a.append(b);
        assert_eq!(*a.get(id.shifted(off)), 2);
        *a.get_mut(id.shifted(off)) += 1;
        assert_eq!(a.take(id.shifted(off)), 3);
    }
}
