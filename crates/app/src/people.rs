//! Departments and employees.

use crate::auth::{check_new_password, hash_password};
use crate::input::{lenient, Check};
use crate::{Actor, App, AppError, Result};
use kupets_domain::role::Right;
use kupets_domain::Role;
use kupets_store::model::{Department, Employee};
use kupets_store::page::Page;
use kupets_store::queries::{self, audit, get_by_id, ListSpec, P};
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DepartmentInput {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Employee id of the head.
    #[serde(default, deserialize_with = "lenient")]
    pub head_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct EmployeeInput {
    #[serde(default, deserialize_with = "lenient")]
    pub login: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// admin, department_head, manager, accountant, storekeeper, service_engineer
    #[serde(default, deserialize_with = "lenient")]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub department_id: Option<String>,
    /// Special-discount limit, percent (`"5"`).
    #[serde(default, deserialize_with = "lenient")]
    pub discount_limit: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub phone: Option<String>,
    /// Required on create; on update, a non-empty value sets a new password.
    #[serde(default, deserialize_with = "lenient")]
    pub password: Option<String>,
}

pub(crate) async fn exists(conn: &mut Conn, table: &str, id: i64) -> Result<bool> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
    let n: i64 = sql::query_scalar(&sql).bind(id).fetch_one(conn).await?;
    Ok(n > 0)
}

/// Adds a "no such record" error for a referenced id that does not exist.
pub(crate) async fn check_ref(
    c: &mut Check,
    conn: &mut Conn,
    field: &str,
    table: &str,
    id: Option<i64>,
) -> Result<()> {
    if let Some(id) = id {
        if !exists(conn, table, id).await? {
            c.err(
                field,
                "not_found",
                format!("Запись {id} не найдена"),
                format!("No record {id}"),
            );
        }
    }
    Ok(())
}

impl App {
    pub async fn list_departments(
        &self,
        _actor: &Actor,
        spec: &ListSpec,
    ) -> Result<Page<Department>> {
        Ok(queries::list_by_name(
            &self.store,
            "departments",
            Department::COLS,
            "LOWER(name)",
            spec,
            Department::from_row,
            |d| (d.name.clone(), d.id),
        )
        .await?)
    }

    pub async fn get_department(&self, _actor: &Actor, id: i64) -> Result<Department> {
        let mut conn = self.store.read_conn().await?;
        get_by_id(
            &mut conn,
            "departments",
            Department::COLS,
            id,
            Department::from_row,
        )
        .await?
        .ok_or(AppError::NotFound {
            entity: "department",
        })
    }

    pub async fn save_department(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &DepartmentInput,
    ) -> Result<Department> {
        actor.require(Right::ManagePeople)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let name = c.text("name", &input.name, 200);
            let head_id = c.opt_id("head_id", &input.head_id);
            check_ref(&mut c, &mut tx, "head_id", "employees", head_id).await?;
            c.done()?;
            let cols = vec![("name", P::from(name)), ("head_id", P::from(head_id))];
            let id = match id {
                Some(id) => {
                    let changed =
                        crate::changes::describe(&mut tx, "departments", id, &cols).await?;
                    if !queries::update(&mut tx, "departments", id, &cols).await? {
                        return Err(AppError::NotFound {
                            entity: "department",
                        });
                    }
                    audit(
                        &mut tx,
                        Some(actor.id()),
                        "update",
                        "department",
                        id,
                        &changed,
                    )
                    .await?;
                    id
                }
                None => {
                    let mut cols = cols;
                    cols.push(("created_at", P::from(now())));
                    let id = queries::insert(&mut tx, "departments", &cols).await?;
                    audit(&mut tx, Some(actor.id()), "create", "department", id, "").await?;
                    id
                }
            };
            let d = get_by_id(
                &mut tx,
                "departments",
                Department::COLS,
                id,
                Department::from_row,
            )
            .await?
            .ok_or(AppError::NotFound {
                entity: "department",
            })?;
            Ok(d)
        })
    }

    pub async fn list_employees(&self, _actor: &Actor, spec: &ListSpec) -> Result<Page<Employee>> {
        Ok(queries::list_by_name(
            &self.store,
            "employees",
            Employee::COLS,
            "LOWER(name || ' ' || login)",
            spec,
            Employee::from_row,
            |e| (e.name.clone(), e.id),
        )
        .await?)
    }

    pub async fn get_employee(&self, _actor: &Actor, id: i64) -> Result<Employee> {
        let mut conn = self.store.read_conn().await?;
        get_by_id(
            &mut conn,
            "employees",
            Employee::COLS,
            id,
            Employee::from_row,
        )
        .await?
        .ok_or(AppError::NotFound { entity: "employee" })
    }

    /// Every employee, for pickers (a small business has tens, not thousands).
    pub async fn all_employees(&self) -> Result<Vec<Employee>> {
        let rows = sql::query(&format!(
            "SELECT {} FROM employees WHERE archived = 0 ORDER BY name, id",
            Employee::COLS
        ))
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows.iter().map(|r| Employee::from_row(r)).collect())
    }

    pub async fn create_employee(&self, actor: &Actor, input: &EmployeeInput) -> Result<Employee> {
        actor.require(Right::ManagePeople)?;
        self.create_employee_unchecked(Some(actor.id()), input)
            .await
    }

    pub(crate) async fn create_employee_unchecked(
        &self,
        by: Option<i64>,
        input: &EmployeeInput,
    ) -> Result<Employee> {
        write_tx!(self, [input], |app, tx| {
            let mut c = Check::new();
            let cols = employee_cols(&mut c, &mut tx, input, None).await?;
            let pw = input.password.clone().unwrap_or_default();
            if pw.is_empty() {
                c.add(kupets_domain::FieldError::required("password"));
            } else {
                check_new_password(&mut c, "password", &pw);
            }
            c.done()?;
            let mut cols = cols;
            cols.push(("password_hash", P::from(hash_password(&pw))));
            cols.push(("created_at", P::from(now())));
            let id = queries::insert(&mut tx, "employees", &cols).await?;
            audit(
                &mut tx,
                by,
                "create",
                "employee",
                id,
                &format!("login={}", input.login.as_deref().unwrap_or("").trim()),
            )
            .await?;
            let e = get_by_id(&mut tx, "employees", Employee::COLS, id, Employee::from_row)
                .await?
                .ok_or(AppError::NotFound { entity: "employee" })?;
            Ok(e)
        })
    }

    pub async fn update_employee(
        &self,
        actor: &Actor,
        id: i64,
        input: &EmployeeInput,
    ) -> Result<Employee> {
        actor.require(Right::ManagePeople)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let mut cols = employee_cols(&mut c, &mut tx, input, Some(id)).await?;
            let pw = input.password.clone().unwrap_or_default();
            if !pw.is_empty() {
                check_new_password(&mut c, "password", &pw);
                cols.push(("password_hash", P::from(hash_password(&pw))));
            }
            c.done()?;
            let shown: Vec<(&str, P)> = cols
                .iter()
                .filter(|c| c.0 != "password_hash")
                .cloned()
                .collect();
            let changed = crate::changes::describe(&mut tx, "employees", id, &shown).await?;
            if !queries::update(&mut tx, "employees", id, &cols).await? {
                return Err(AppError::NotFound { entity: "employee" });
            }
            if !pw.is_empty() {
                sql::query("DELETE FROM sessions WHERE employee_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                audit(
                    &mut tx,
                    Some(actor.id()),
                    "set_password",
                    "employee",
                    id,
                    "",
                )
                .await?;
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "update",
                "employee",
                id,
                &changed,
            )
            .await?;
            let e = get_by_id(&mut tx, "employees", Employee::COLS, id, Employee::from_row)
                .await?
                .ok_or(AppError::NotFound { entity: "employee" })?;
            Ok(e)
        })
    }

    /// An admin sets anyone's password; anyone may set their own.
    pub async fn set_password(&self, actor: &Actor, id: i64, password: &str) -> Result<()> {
        if actor.id() != id {
            actor.require(Right::ManagePeople)?;
        }
        let mut c = Check::new();
        check_new_password(&mut c, "password", password);
        c.done()?;
        write_tx!(self, [actor, password], |app, tx| {
            if !queries::update(
                &mut tx,
                "employees",
                id,
                &[("password_hash", P::from(hash_password(password)))],
            )
            .await?
            {
                return Err(AppError::NotFound { entity: "employee" });
            }
            // A new password ends every other session of that employee.
            sql::query("DELETE FROM sessions WHERE employee_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "set_password",
                "employee",
                id,
                "",
            )
            .await?;
            Ok(())
        })
    }
}

async fn employee_cols(
    c: &mut Check,
    conn: &mut Conn,
    input: &EmployeeInput,
    id: Option<i64>,
) -> Result<Vec<(&'static str, P)>> {
    let login = c.text("login", &input.login, 50).to_lowercase();
    if !login.is_empty()
        && !login
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'))
    {
        c.err(
            "login",
            "invalid_login",
            "Логин: латинские буквы, цифры, точка, дефис, подчёркивание",
            "Login: Latin letters, digits, dot, dash, underscore",
        );
    }
    if !login.is_empty() {
        let other: Option<i64> = sql::query_scalar("SELECT id FROM employees WHERE login = $1")
            .bind(&login)
            .fetch_optional(&mut *conn)
            .await?;
        if other.is_some() && other != id {
            c.err(
                "login",
                "duplicate",
                format!("Логин «{login}» уже занят"),
                format!("Login '{login}' is taken"),
            );
        }
    }
    let name = c.text("name", &input.name, 200);
    let role = input.role.as_deref().map(str::trim).unwrap_or("");
    let role = match Role::parse(role) {
        Some(r) => r.code(),
        None => {
            c.err("role", "invalid_role", "Роль: admin, department_head, manager, accountant, storekeeper или service_engineer", "Role: admin, department_head, manager, accountant, storekeeper or service_engineer");
            ""
        }
    };
    let department_id = c.opt_id("department_id", &input.department_id);
    check_ref(c, conn, "department_id", "departments", department_id).await?;
    let discount_limit = c.percent("discount_limit", &input.discount_limit);
    let email = c.opt_text("email", &input.email, 200);
    if !email.is_empty() && !email.contains('@') {
        c.err(
            "email",
            "invalid_email",
            "Неверный адрес почты",
            "Invalid e-mail address",
        );
    }
    let phone = c.opt_text("phone", &input.phone, 50);
    Ok(vec![
        ("login", P::from(login)),
        ("name", P::from(name)),
        ("role", P::from(role)),
        ("department_id", P::from(department_id)),
        ("discount_limit", P::from(discount_limit)),
        ("email", P::from(email)),
        ("phone", P::from(phone)),
    ])
}

/// Archives or restores a record of a master-data table (never deletes:
/// documents keep pointing at it).
pub(crate) async fn set_archived(
    app: &App,
    actor: &Actor,
    right: Right,
    table: &str,
    entity: &'static str,
    id: i64,
    archived: bool,
) -> Result<()> {
    actor.require(right)?;
    write_tx!(app, [actor, table], |app, tx| {
        let _ = &app;
        if !queries::update(&mut tx, table, id, &[("archived", P::from(archived))]).await? {
            return Err(AppError::NotFound { entity });
        }
        if table == "employees" && archived {
            // An archived employee is logged out everywhere at once.
            sql::query("DELETE FROM sessions WHERE employee_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        audit(
            &mut tx,
            Some(actor.id()),
            if archived { "archive" } else { "unarchive" },
            entity,
            id,
            "",
        )
        .await?;
        Ok(())
    })
}

impl App {
    /// Archives (`true`) or restores a record; `entity` is the API resource.
    pub async fn set_archived(
        &self,
        actor: &Actor,
        entity: &str,
        id: i64,
        archived: bool,
    ) -> Result<()> {
        let (table, right, name): (&str, Right, &'static str) = match entity {
            "counterparties" => ("counterparties", Right::EditCounterparties, "counterparty"),
            "products" => ("products", Right::EditCatalog, "product"),
            "product-groups" => ("product_groups", Right::EditCatalog, "product group"),
            "price-types" => ("price_types", Right::EditCatalog, "price type"),
            "warehouses" => ("warehouses", Right::EditCatalog, "warehouse"),
            "departments" => ("departments", Right::ManagePeople, "department"),
            "employees" => ("employees", Right::ManagePeople, "employee"),
            _ => return Err(AppError::NotFound { entity: "resource" }),
        };
        if entity == "employees" && id == actor.id() && archived {
            return Err(AppError::conflict(
                "self_archive",
                "Нельзя архивировать самого себя",
                "You cannot archive yourself",
            ));
        }
        set_archived(self, actor, right, table, name, id, archived).await
    }
}

impl App {
    /// Create (`id` None) or update, in the shape the API's generic handlers use.
    pub async fn save_employee(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &EmployeeInput,
    ) -> Result<Employee> {
        match id {
            None => self.create_employee(actor, input).await,
            Some(id) => self.update_employee(actor, id, input).await,
        }
    }
}
