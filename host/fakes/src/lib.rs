//! Local vendor servers: they speak a vendor's API on loopback with generated data, for the
//! demo, the tests and users trying a connector without credentials (`credence sandbox`).

pub mod companies_house;
pub mod creditsafe;
pub mod example;
pub mod faults;
pub mod gleif;
pub mod quickbooks;
pub mod smtp;
pub mod table;
pub mod xero;

use std::net::SocketAddr;

/// Serve `router` on 127.0.0.1 (port 0: any free port); returns the bound address.
pub async fn serve(
    router: axum::Router,
    port: u16,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "sandbox server stopped");
        }
    });
    Ok((addr, handle))
}
