//! Use cases of kupets. Each public function is one transaction: load, let
//! the domain decide, write, append to the audit log. Rights are checked here,
//! so every page and endpoint gets the same refusals.

/// Runs a block as one write transaction through [`kupets_store::Store::write`]:
/// on SQLite the whole block runs on the writer thread (one hand-off per
/// use case, group commit), on PostgreSQL in an sqlx transaction retried on
/// serialization failures and deadlocks. Because the block may run on
/// another thread and more than once, it owns what it uses: `$app` is a
/// clone of the `App`, each name in `[..]` is cloned per run and seen in the
/// block as a reference (as the parameters it replaces were), and `$tx` is
/// the transaction (`&mut Tx`). Copy values are captured as they are.
macro_rules! write_tx {
    ($self:ident, [$($c:ident),* $(,)?], |$app:ident, $tx:ident| $body:block) => {
        write_tx!($self, [$($c),*], own [], |$app, $tx| $body)
    };
    ($self:ident, [$($c:ident),* $(,)?], own [$($o:ident),* $(,)?], |$app:ident, $tx:ident| $body:block) => {{
        let __app = $self.clone();
        $(let $c = $c.to_owned();)*
        $self
            .store
            .write(move |__tx: &mut kupets_store::Tx| {
                #[allow(unused_variables)]
                let $app = __app.clone();
                $(let $c = $c.clone();)*
                $(let $o = $o.clone();)*
                // Bodies were written against an owned transaction (`&mut tx`).
                #[allow(clippy::needless_borrow)]
                let fut: kupets_store::BoxFuture<'_, $crate::Result<_>> = Box::pin(async move {
                    #[allow(unused_mut)]
                    let mut $tx = __tx;
                    $(#[allow(unused_variables)] let $c = &$c;)*
                    $(#[allow(unused_mut)] let mut $o = $o;)*
                    $body
                });
                fut
            })
            .await
    }};
}

pub mod absence;
pub mod analysis;
pub mod auth;
pub mod catalog;
pub mod changes;
pub mod company;
pub mod contact;
pub(crate) mod cost;
pub mod counterparty;
pub mod demo;
pub mod discount_scale;
pub mod document;
pub mod error;
pub mod exchange;
pub mod input;
pub mod interaction;
pub mod invoice;
pub mod mail;
pub mod paperwork;
pub mod people;
pub mod pricing;
pub mod replacement;
pub mod reports;
pub mod responsible;
pub mod serial;
pub mod status;
pub mod throttle;
pub mod timeline;
pub mod trade;
pub mod unattended;

pub use error::AppError;
use kupets_domain::role::Right;
use kupets_domain::Role;
pub use kupets_store as store;
use kupets_store::model::Employee;
use kupets_store::Store;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The application: a store plus installation settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    /// The day this process last found the clients' ABC classes up to date
    /// (see [`App::refresh_client_classes`]): the counterparty list asks on
    /// every request, and after the first answer of the day the question
    /// needs no database.
    classes_fresh_on: std::sync::Arc<std::sync::Mutex<Option<chrono::NaiveDate>>>,
}

/// Who is acting: the logged-in employee and their role.
#[derive(Debug, Clone)]
pub struct Actor {
    pub employee: Employee,
    pub role: Role,
}

impl Actor {
    pub fn id(&self) -> i64 {
        self.employee.id
    }
    /// Refuses with 403 unless the role has the right.
    pub fn require(&self, right: Right) -> Result<()> {
        if self.role.can(right) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                role: self.role.code().to_string(),
            })
        }
    }
    pub fn can(&self, right: Right) -> bool {
        self.role.can(right)
    }
}

impl App {
    pub fn new(store: Store) -> App {
        App {
            store,
            classes_fresh_on: Default::default(),
        }
    }
}

/// Today in the installation's calendar (server local date).
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}
