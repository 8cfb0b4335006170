//! Continuation-token paging as a `Stream`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::FusedStream;
use futures_core::Stream;
use futures_util::StreamExt as _;

use crate::error::Error;

/// A page of results and the token for the next one.
pub trait Page {
    /// The items of the page.
    type Item;
    /// The continuation token, if there are more pages.
    fn continuation_token(&self) -> Option<&str>;
    /// Takes the items out.
    fn into_items(self) -> Vec<Self::Item>;
}

/// The items of every page, one at a time: what the generated `*_stream`
/// methods return.
///
/// It is `Unpin`, `Send` and `'static`, so `next().await` works on it
/// without pinning it first, it can be kept in a struct field or moved to
/// another task, and it may be polled again after it has ended (it stays
/// ended):
///
/// ```no_run
/// # use asm_runtime::{paging::ItemStream, Error};
/// use futures_util::StreamExt as _;
/// # async fn demo(mut items: ItemStream<u32>) -> Result<(), Error> {
/// while let Some(item) = items.next().await {
///     println!("{}", item?);
/// }
/// # Ok(()) }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct ItemStream<T> {
    inner: Pin<Box<dyn FusedStream<Item = Result<T, Error>> + Send>>,
}

impl<T> ItemStream<T> {
    /// Wraps any other stream of results.
    pub fn new<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<T, Error>> + Send + 'static,
    {
        Self {
            inner: Box::pin(stream.fuse()),
        }
    }
}

impl<T> Stream for ItemStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T> FusedStream for ItemStream<T> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

impl<T> fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream")
            .field("terminated", &self.inner.is_terminated())
            .finish_non_exhaustive()
    }
}

/// Streams the items of every page: `fetch(token)` gets one page, starting
/// with `None`, until a page has no (or an empty) continuation token, or
/// repeats the token it was asked with (the service would answer the same
/// page again, forever). After an error the stream ends.
pub fn items<P, F, Fut>(fetch: F) -> ItemStream<P::Item>
where
    P: Page + Send + 'static,
    P::Item: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<P, Error>> + Send + 'static,
{
    ItemStream::new(futures_util::stream::unfold(
        (
            fetch,
            Some(None::<String>),
            Vec::<P::Item>::new().into_iter(),
        ),
        |(mut fetch, mut next, mut buffered)| async move {
            loop {
                if let Some(item) = buffered.next() {
                    return Some((Ok(item), (fetch, next, buffered)));
                }
                let token = next.take()?;
                match fetch(token.clone()).await {
                    Ok(page) => {
                        next = page
                            .continuation_token()
                            .filter(|t| !t.is_empty() && Some(*t) != token.as_deref())
                            .map(|t| Some(t.to_owned()));
                        buffered = page.into_items().into_iter();
                    }
                    Err(e) => return Some((Err(e), (fetch, None, buffered))),
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;

    struct P(Vec<u32>, Option<String>);
    impl Page for P {
        type Item = u32;
        fn continuation_token(&self) -> Option<&str> {
            self.1.as_deref()
        }
        fn into_items(self) -> Vec<u32> {
            self.0
        }
    }

    #[tokio::test]
    async fn follows_tokens() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&calls);
        let got: Vec<u32> = items(move |t: Option<String>| {
            seen.lock().unwrap().push(t.clone());
            async move {
                Ok(match t.as_deref() {
                    None => P(vec![1, 2], Some("a".into())),
                    Some("a") => P(vec![], Some("b".into())),
                    Some("b") => P(vec![3], Some(String::new())),
                    _ => unreachable!(),
                })
            }
        })
        .map(|r| r.unwrap())
        .collect()
        .await;
        assert_eq!(got, vec![1, 2, 3]);
        assert_eq!(
            *calls.lock().unwrap(),
            [None, Some("a".to_owned()), Some("b".to_owned())]
        );
    }

    #[tokio::test]
    async fn stops_when_a_token_repeats() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let got: Vec<u32> = items(move |t: Option<String>| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(match t.as_deref() {
                    None => P(vec![1], Some("a".into())),
                    // The service answers the same token again.
                    Some(_) => P(vec![2], Some("a".into())),
                })
            }
        })
        .map(|r| r.unwrap())
        .collect()
        .await;
        assert_eq!(got, vec![1, 2]);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    /// `next()` without pinning, an error ends the stream, and polling
    /// after the end is harmless.
    #[tokio::test]
    async fn unpin_and_fused() {
        fn assert_unpin_send<T: Unpin + Send + 'static>(_: &T) {}
        let mut s = items(|t: Option<String>| async move {
            match t {
                None => Ok(P(vec![1], Some("a".into()))),
                Some(_) => Err(Error::Config("no second page".into())),
            }
        });
        assert_unpin_send(&s);
        assert!(!s.is_terminated());
        assert_eq!(s.next().await.unwrap().unwrap(), 1);
        assert!(s.next().await.unwrap().is_err());
        assert!(s.next().await.is_none());
        assert!(s.is_terminated());
        assert!(s.next().await.is_none());
        assert!(format!("{s:?}").contains("terminated: true"));
    }
}
