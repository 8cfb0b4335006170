//! Continuation-token paging as a `Stream`.

use std::future::Future;

use futures_core::Stream;

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

/// Streams the items of every page: `fetch(token)` gets one page, starting
/// with `None`, until a page has no (or an empty) continuation token, or
/// repeats the token it was asked with (the service would answer the same
/// page again, forever).
pub fn items<P, F, Fut>(fetch: F) -> impl Stream<Item = Result<P::Item, Error>>
where
    P: Page,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<P, Error>>,
{
    futures_util::stream::unfold(
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
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt as _;

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
        let mut calls = Vec::new();
        let got: Vec<u32> = items(|t: Option<String>| {
            calls.push(t.clone());
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
    }

    #[tokio::test]
    async fn stops_when_a_token_repeats() {
        let mut calls = 0;
        let got: Vec<u32> = items(|t: Option<String>| {
            calls += 1;
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
        assert_eq!(calls, 2);
    }
}
