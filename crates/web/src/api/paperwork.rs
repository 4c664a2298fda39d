//! Paperwork: the company card and bank accounts, counterparties' accounts,
//! invoices (счёт на оплату), printable forms as PDF or HTML, e-mail to
//! clients, SMTP settings, the outbox and the digest opt-out.

use super::{id_of, ApiJson, ApiPath, ApiQuery, DocListParams};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kupets_app::company::{BankAccount, BankAccountInput, Company, CompanyInput};
use kupets_app::document::CancelInput;
use kupets_app::invoice::{InvoiceInput, InvoiceView};
use kupets_app::mail::{MailSettings, MailSettingsInput, OutboxEntry, SendInput};
use kupets_app::paperwork::ShipmentPaper;
use kupets_app::{Actor, App, AppError};
use kupets_domain::DocKind;
use kupets_paper::Form;
use kupets_store::model::Document;
use kupets_store::page::Page;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this module, merged into the API router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(company_get, company_put))
        .routes(routes!(company_account_add))
        .routes(routes!(company_account_archive))
        .routes(routes!(cp_accounts, cp_account_add))
        .routes(routes!(cp_account_archive))
        .routes(routes!(invoice_list, invoice_create))
        .routes(routes!(invoice_get))
        .routes(routes!(invoice_post))
        .routes(routes!(invoice_cancel))
        .routes(routes!(order_invoice))
        .routes(routes!(paper))
        .routes(routes!(reconciliation_pdf))
        .routes(routes!(invoice_send))
        .routes(routes!(shipment_send))
        .routes(routes!(reconciliation_send))
        .routes(routes!(cp_mail))
        .routes(routes!(mail_settings_get, mail_settings_put))
        .routes(routes!(outbox_list))
        .routes(routes!(outbox_deliver))
        .routes(routes!(digest_opt_out))
}

/// Our company's card with its bank accounts.
#[utoipa::path(get, path = "/api/v1/company", tag = "paperwork", responses((status = 200, body = Company)), security(("bearer" = [])))]
pub async fn company_get(
    ApiActor(_a): ApiActor,
    State(s): State<AppState>,
) -> ApiResult<Json<Company>> {
    Ok(Json(s.app.company().await?))
}

/// Saves the card (admins): ИНН, КПП, ОГРН/ОГРНИП checked with their keys.
#[utoipa::path(put, path = "/api/v1/company", tag = "paperwork", request_body = CompanyInput,
    responses((status = 200, body = Company), (status = 422, description = "a field named, e.g. a wrong INN key"), (status = 403)), security(("bearer" = [])))]
pub async fn company_put(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<CompanyInput>,
) -> ApiResult<Json<Company>> {
    Ok(Json(s.app.save_company(&a, &input).await?))
}

/// Adds one of our bank accounts (admins); БИК, корр. and расчётный счёт keys checked.
#[utoipa::path(post, path = "/api/v1/company/bank-accounts", tag = "paperwork", request_body = BankAccountInput,
    responses((status = 201, body = BankAccount), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn company_account_add(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<BankAccountInput>,
) -> ApiResult<(StatusCode, Json<BankAccount>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_company_account(&a, &input).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/company/bank-accounts/{id}/archive", tag = "paperwork", params(("id" = String, Path)),
    responses((status = 200, body = BankAccount), (status = 404)), security(("bearer" = [])))]
pub async fn company_account_archive(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<BankAccount>> {
    Ok(Json(
        s.app
            .archive_company_account(&a, id_of(&id, "bank account")?)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/counterparties/{id}/bank-accounts", tag = "paperwork", params(("id" = String, Path)),
    responses((status = 200, body = Vec<BankAccount>)), security(("bearer" = [])))]
pub async fn cp_accounts(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<BankAccount>>> {
    Ok(Json(
        s.app
            .counterparty_accounts(&a, id_of(&id, "counterparty")?)
            .await?,
    ))
}

/// Adds a counterparty's bank account, checked like ours.
#[utoipa::path(post, path = "/api/v1/counterparties/{id}/bank-accounts", tag = "paperwork", params(("id" = String, Path)), request_body = BankAccountInput,
    responses((status = 201, body = BankAccount), (status = 422), (status = 404)), security(("bearer" = [])))]
pub async fn cp_account_add(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<BankAccountInput>,
) -> ApiResult<(StatusCode, Json<BankAccount>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.app
                .add_counterparty_account(&a, id_of(&id, "counterparty")?, &input)
                .await?,
        ),
    ))
}

#[utoipa::path(post, path = "/api/v1/counterparties/{id}/bank-accounts/{account_id}/archive", tag = "paperwork",
    params(("id" = String, Path), ("account_id" = String, Path)), responses((status = 200, body = BankAccount), (status = 404)), security(("bearer" = [])))]
pub async fn cp_account_archive(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath((id, account)): ApiPath<(String, String)>,
) -> ApiResult<Json<BankAccount>> {
    Ok(Json(
        s.app
            .archive_counterparty_account(
                &a,
                id_of(&id, "counterparty")?,
                id_of(&account, "bank account")?,
            )
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices", params(DocListParams), responses((status = 200, body = Page<Document>)), security(("bearer" = [])))]
pub async fn invoice_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<DocListParams>,
) -> ApiResult<Json<Page<Document>>> {
    Ok(Json(
        s.app
            .list_documents(&a, DocKind::Invoice, &p.filter()?)
            .await?,
    ))
}

/// A draft invoice: from an order (`order_id`) or with its own lines.
#[utoipa::path(post, path = "/api/v1/invoices", tag = "invoices", request_body = InvoiceInput,
    responses((status = 201, body = InvoiceView), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn invoice_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<InvoiceInput>,
) -> ApiResult<(StatusCode, Json<InvoiceView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_invoice(&a, &input).await?),
    ))
}

/// The invoice with its lines, payments, paid amount and state, and the QR payload.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, body = InvoiceView), (status = 404)), security(("bearer" = [])))]
pub async fn invoice_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InvoiceView>> {
    Ok(Json(s.app.get_invoice(&a, id_of(&id, "invoice")?).await?))
}

/// Issues a draft invoice.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/post", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, body = InvoiceView), (status = 409)), security(("bearer" = [])))]
pub async fn invoice_post(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InvoiceView>> {
    Ok(Json(s.app.post_invoice(&a, id_of(&id, "invoice")?).await?))
}

#[utoipa::path(post, path = "/api/v1/invoices/{id}/cancel", tag = "invoices", params(("id" = String, Path)), request_body = CancelInput,
    responses((status = 200, body = Document), (status = 409)), security(("bearer" = [])))]
pub async fn invoice_cancel(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> ApiResult<Json<Document>> {
    Ok(Json(
        s.app
            .cancel_document(&a, DocKind::Invoice, id_of(&id, "invoice")?, &input)
            .await?,
    ))
}

/// «Выставить счёт»: an issued invoice for the order's lines, in one step.
#[utoipa::path(post, path = "/api/v1/sales-orders/{id}/invoice", tag = "invoices", params(("id" = String, Path)), request_body = InvoiceInput,
    responses((status = 201, body = InvoiceView), (status = 422)), security(("bearer" = [])))]
pub async fn order_invoice(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<InvoiceInput>,
) -> ApiResult<(StatusCode, Json<InvoiceView>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.app
                .invoice_order(&a, id_of(&id, "document")?, &input)
                .await?,
        ),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaperParams {
    /// `pdf` (default) or `html` (the print view).
    pub format: Option<String>,
}

/// Builds a printable form by its URL name for a document.
pub async fn build_paper(app: &App, a: &Actor, id: i64, name: &str) -> Result<Form, AppError> {
    match name {
        "invoice" => app.invoice_form(a, id).await,
        "upd" => app.shipment_paper(a, id, Some(ShipmentPaper::Upd)).await,
        "torg12" => app.shipment_paper(a, id, Some(ShipmentPaper::Torg12)).await,
        "shipment" => app.shipment_paper(a, id, None).await,
        "warranty" => app.warranty_form(a, id).await,
        "repair-acceptance" => app.repair_form(a, id, false).await,
        "repair-act" => app.repair_form(a, id, true).await,
        _ => Err(AppError::NotFound { entity: "form" }),
    }
}

/// A form as a PDF download (or the HTML print view).
pub fn form_response(form: &Form, file: &str, html: bool) -> Result<Response, AppError> {
    if html {
        return Ok(axum::response::Html(kupets_paper::render_html(form, "")).into_response());
    }
    let bytes = kupets_app::paperwork::pdf(form)?;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (
                CONTENT_DISPOSITION,
                crate::download::attachment(file, "pdf"),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn wants_html(p: &PaperParams) -> Result<bool, AppError> {
    match p.format.as_deref().map(str::trim).unwrap_or("") {
        "" | "pdf" => Ok(false),
        "html" => Ok(true),
        _ => Err(AppError::field(
            "format",
            "invalid",
            "Формат: pdf или html",
            "Format: pdf or html",
        )),
    }
}

/// A document's printable form: `invoice`, `upd`, `torg12`, `shipment` (the
/// card's default), `warranty` (shipments with serials), `repair-acceptance`,
/// `repair-act` (paid repairs). PDF with fonts embedded, or HTML.
#[utoipa::path(get, path = "/api/v1/documents/{id}/papers/{paper}", tag = "paperwork",
    params(("id" = String, Path), ("paper" = String, Path), PaperParams),
    responses((status = 200, content_type = "application/pdf", description = "the PDF"), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn paper(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath((id, name)): ApiPath<(String, String)>,
    ApiQuery(p): ApiQuery<PaperParams>,
) -> ApiResult<Response> {
    let html = wants_html(&p)?;
    let id = id_of(&id, "document")?;
    let form = build_paper(&s.app, &a, id, &name).await?;
    Ok(form_response(&form, &form.title, html)?)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReconParams {
    pub from: Option<String>,
    pub to: Option<String>,
    /// `pdf` (default) or `html`.
    pub format: Option<String>,
}

/// The акт сверки with our requisites, as PDF.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/reconciliation.pdf", tag = "paperwork",
    params(("id" = String, Path), ReconParams), responses((status = 200, content_type = "application/pdf", description = "the PDF")), security(("bearer" = [])))]
pub async fn reconciliation_pdf(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<ReconParams>,
) -> ApiResult<Response> {
    let html = wants_html(&PaperParams {
        format: p.format.clone(),
    })?;
    let mut c = kupets_app::input::Check::new();
    let to = c.date("to", &p.to, kupets_app::today());
    let from = c.date(
        "from",
        &p.from,
        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&to), 1, 1).unwrap_or(to),
    );
    c.done()?;
    let form = s
        .app
        .reconciliation_form(&a, id_of(&id, "counterparty")?, from, to)
        .await?;
    Ok(form_response(&form, &form.title, html)?)
}

/// Sends the счёт to the client with the PDF attached; the message is in
/// the outbox (and on the client's card) whatever the server answered.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/send", tag = "mail", params(("id" = String, Path)), request_body = SendInput,
    responses((status = 200, body = OutboxEntry), (status = 422, description = "no address, or e-mail not set up")), security(("bearer" = [])))]
pub async fn invoice_send(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<SendInput>,
) -> ApiResult<Json<OutboxEntry>> {
    Ok(Json(
        s.app
            .send_invoice(&a, id_of(&id, "invoice")?, &input)
            .await?,
    ))
}

/// Sends a shipment's УПД (or ТОРГ-12) with the PDF attached.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/send", tag = "mail", params(("id" = String, Path)), request_body = SendInput,
    responses((status = 200, body = OutboxEntry), (status = 422)), security(("bearer" = [])))]
pub async fn shipment_send(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<SendInput>,
) -> ApiResult<Json<OutboxEntry>> {
    Ok(Json(
        s.app
            .send_shipment(&a, id_of(&id, "document")?, &input)
            .await?,
    ))
}

/// Sends the акт сверки for a period (`from`, `till`) with the PDF attached.
#[utoipa::path(post, path = "/api/v1/counterparties/{id}/send-reconciliation", tag = "mail", params(("id" = String, Path)), request_body = SendInput,
    responses((status = 200, body = OutboxEntry), (status = 422)), security(("bearer" = [])))]
pub async fn reconciliation_send(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<SendInput>,
) -> ApiResult<Json<OutboxEntry>> {
    Ok(Json(
        s.app
            .send_reconciliation(&a, id_of(&id, "counterparty")?, &input)
            .await?,
    ))
}

/// Messages sent to the counterparty, with their delivery state.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/mail", tag = "mail", params(("id" = String, Path)),
    responses((status = 200, body = Vec<OutboxEntry>)), security(("bearer" = [])))]
pub async fn cp_mail(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<OutboxEntry>>> {
    Ok(Json(
        s.app
            .counterparty_mail(&a, id_of(&id, "counterparty")?)
            .await?,
    ))
}

/// SMTP settings (admins); the password is never returned.
#[utoipa::path(get, path = "/api/v1/mail-settings", tag = "mail", responses((status = 200, body = MailSettings), (status = 403)), security(("bearer" = [])))]
pub async fn mail_settings_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
) -> ApiResult<Json<MailSettings>> {
    Ok(Json(s.app.mail_settings(&a).await?))
}

#[utoipa::path(put, path = "/api/v1/mail-settings", tag = "mail", request_body = MailSettingsInput,
    responses((status = 200, body = MailSettings), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn mail_settings_put(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<MailSettingsInput>,
) -> ApiResult<Json<MailSettings>> {
    Ok(Json(s.app.save_mail_settings(&a, &input).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// `queued`, `sent` or `failed`.
    pub state: Option<String>,
}

/// Every message, newest first (admins).
#[utoipa::path(get, path = "/api/v1/outbox", tag = "mail", params(OutboxParams), responses((status = 200, body = Vec<OutboxEntry>), (status = 403)), security(("bearer" = [])))]
pub async fn outbox_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<OutboxParams>,
) -> ApiResult<Json<Vec<OutboxEntry>>> {
    Ok(Json(
        s.app
            .outbox(&a, p.state.as_deref().filter(|s| !s.is_empty()))
            .await?,
    ))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Delivered {
    /// Messages tried now.
    pub tried: usize,
}

/// Tries the queued messages whose time has come now (admins); the server
/// also does this every 30 seconds.
#[utoipa::path(post, path = "/api/v1/outbox/deliver", tag = "mail", responses((status = 200, body = Delivered), (status = 403)), security(("bearer" = [])))]
pub async fn outbox_deliver(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
) -> ApiResult<Json<Delivered>> {
    a.require(kupets_domain::role::Right::ManagePeople)?;
    Ok(Json(Delivered {
        tried: s.app.deliver_due(chrono::Utc::now()).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DigestInput {
    /// `true`: no daily reminder digest for this employee.
    pub opt_out: bool,
}

/// An employee's daily digest on or off (themselves, or admins).
#[utoipa::path(put, path = "/api/v1/employees/{id}/digest", tag = "mail", params(("id" = String, Path)), request_body = DigestInput,
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn digest_opt_out(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<DigestInput>,
) -> ApiResult<StatusCode> {
    s.app
        .set_digest_opt_out(&a, id_of(&id, "employee")?, input.opt_out)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
