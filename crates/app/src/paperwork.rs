//! The printed papers a Russian counterparty accepts, as [`Form`]s: счёт на
//! оплату with the payment QR code, УПД (status 1 with VAT, 2 without),
//! ТОРГ-12, a warranty card for serial-numbered units, the repair
//! acceptance note and completed-work act, the акт сверки. Each carries our
//! requisites and signatories from the company card. The web layer renders
//! a form as HTML (print view) or PDF (download, e-mail attachment).

use crate::company::Company;
use crate::{Actor, App, AppError, Result};
use chrono::NaiveDate;
use kupets_domain::{DocKind, Money, Qty, VatRate};
use kupets_paper::{Align, Block, Cell, Col, Form, Row, Sign};
use kupets_store::model::{Counterparty, DocLine, RowGet};
use kupets_store::sql;

/// `2026-03-10` → `10.03.2026` (text left as is if it is no date).
pub fn date_ru(iso: &str) -> String {
    NaiveDate::parse_from_str(iso.get(..10).unwrap_or(iso), "%Y-%m-%d")
        .map(kupets_domain::money::date_ru)
        .unwrap_or_else(|_| iso.to_string())
}

/// An amount as printed in a form's figures: `1 234,56` (no-break space
/// between thousands, no currency sign — the column says «руб.»).
pub fn rub(kopecks: i64) -> String {
    Money(kopecks)
        .to_ru()
        .trim_end_matches('₽')
        .trim_end_matches('\u{a0}')
        .to_string()
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn qty_ru(q: i64) -> String {
    Qty(q).to_api().replace('.', ",")
}

/// Код единицы по ОКЕИ for the usual units; empty if unknown.
fn okei(unit: &str) -> &'static str {
    match unit.trim().trim_end_matches('.').to_lowercase().as_str() {
        "шт" | "штука" => "796",
        "кг" => "166",
        "г" => "163",
        "т" => "168",
        "м" => "006",
        "м2" | "м²" => "055",
        "м3" | "м³" => "113",
        "л" => "112",
        "компл" | "комплект" => "839",
        "упак" | "уп" => "778",
        "ч" | "час" => "356",
        _ => "",
    }
}

/// «ООО «Купец», ИНН 7707083893, КПП 773601001, 123456, Москва, …».
fn party(name: &str, inn: &str, kpp: &str, address: &str) -> String {
    let mut s = name.to_string();
    if !inn.is_empty() {
        s.push_str(&format!(", ИНН {inn}"));
    }
    if !kpp.is_empty() {
        s.push_str(&format!(", КПП {kpp}"));
    }
    if !address.is_empty() {
        s.push_str(&format!(", {address}"));
    }
    s
}

fn ours(c: &Company) -> String {
    party(c.print_name(), &c.inn, &c.kpp, &c.legal_address)
}

fn theirs(cp: &Counterparty) -> String {
    let name = if cp.full_name.is_empty() {
        &cp.name
    } else {
        &cp.full_name
    };
    party(name, &cp.inn, &cp.kpp, &cp.address)
}

/// The walk-in buyer's name and phone after the counterparty, when the
/// document carries them (for warranty).
fn with_buyer(who: String, d: &kupets_store::model::Document) -> String {
    let mut extra: Vec<String> = Vec::new();
    if !d.buyer_name.is_empty() {
        extra.push(d.buyer_name.clone());
    }
    if !d.buyer_phone.is_empty() {
        extra.push(format!("тел. {}", d.buyer_phone));
    }
    if extra.is_empty() {
        who
    } else {
        format!("{who} — {}", extra.join(", "))
    }
}

fn director(c: &Company) -> Sign {
    Sign {
        role: if c.director_position.is_empty() {
            "Руководитель".into()
        } else {
            c.director_position.clone()
        },
        name: c.director_name.clone(),
    }
}

fn accountant(c: &Company) -> Sign {
    Sign {
        role: if c.accountant_position.is_empty() {
            "Главный бухгалтер".into()
        } else {
            c.accountant_position.clone()
        },
        name: c.accountant_name.clone(),
    }
}

/// VAT as printed: «Без НДС» for a non-payer (УСН) or a line without VAT.
fn vat_rate_ru(c: &Company, rate: &str) -> &'static str {
    if !c.vat_payer {
        return "Без НДС";
    }
    VatRate::parse(rate).map(|v| v.label_ru()).unwrap_or("")
}

fn vat_of(c: &Company, l: &DocLine) -> i64 {
    if c.vat_payer {
        l.vat
    } else {
        0
    }
}

/// A line's text with the serial numbers of the units on it.
fn with_serials(name: &str, serials: &[String]) -> String {
    if serials.is_empty() {
        name.to_string()
    } else {
        format!("{name}\nСерийные номера: {}", serials.join(", "))
    }
}

/// The form a person prints a shipment as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShipmentPaper {
    Upd,
    Torg12,
}

impl ShipmentPaper {
    pub fn parse(s: &str) -> Option<ShipmentPaper> {
        match s {
            "upd" => Some(ShipmentPaper::Upd),
            "torg12" => Some(ShipmentPaper::Torg12),
            _ => None,
        }
    }
}

/// The papers the API and pages offer, by URL name.
pub const PAPERS: [&str; 6] = [
    "invoice",
    "upd",
    "torg12",
    "warranty",
    "repair-acceptance",
    "repair-act",
];

impl App {
    async fn counterparty_of(&self, actor: &Actor, id: Option<i64>) -> Result<Counterparty> {
        let id = id.ok_or(AppError::NotFound {
            entity: "counterparty",
        })?;
        Ok(self.get_counterparty(actor, id).await?.counterparty)
    }

    /// «Заказ покупателя № ЗК-… от …», or the contract when there is no order.
    async fn basis(&self, order_id: Option<i64>) -> Result<String> {
        if let Some(o) = order_id {
            let r = sql::query("SELECT number, doc_date FROM documents WHERE id = $1")
                .bind(o)
                .fetch_optional(self.store.reader())
                .await?;
            if let Some(r) = r {
                return Ok(format!(
                    "Заказ покупателя № {} от {}",
                    r.text("number"),
                    date_ru(&r.text("doc_date"))
                ));
            }
        }
        Ok("Основной договор".into())
    }

    /// Serial numbers per line of a document.
    async fn serials_by_line(
        &self,
        doc_id: i64,
    ) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        let rows = sql::query(
            "SELECT lu.line_id, u.serial FROM line_units lu JOIN units u ON u.id = lu.unit_id \
             JOIN document_lines l ON l.id = lu.line_id WHERE l.document_id = $1 ORDER BY u.serial",
        )
        .bind(doc_id)
        .fetch_all(self.store.reader())
        .await?;
        let mut m: std::collections::HashMap<i64, Vec<String>> = Default::default();
        for r in &rows {
            m.entry(r.int("line_id"))
                .or_default()
                .push(r.text("serial"));
        }
        Ok(m)
    }

    /// Счёт на оплату in the usual form, with the payment QR code.
    pub async fn invoice_form(&self, actor: &Actor, id: i64) -> Result<Form> {
        let inv = self.get_invoice(actor, id).await?;
        let c = self.company().await?;
        let cp = self
            .counterparty_of(actor, inv.document.counterparty_id)
            .await?;
        let d = &inv.document;
        let account = inv
            .bank_account_id
            .and_then(|b| c.bank_accounts.iter().find(|a| a.id == b))
            .or_else(|| c.main_account());
        let mut f = Form::new(format!("Счёт на оплату № {}", d.number), false);
        if let Some(a) = account {
            f.push(Block::grid(
                vec![Col::left(0.5), Col::left(0.1), Col::left(0.4)],
                vec![
                    Row::new(vec![
                        a.bank_name.clone().into(),
                        "БИК".into(),
                        a.bic.clone().into(),
                    ]),
                    Row::new(vec![
                        "Банк получателя".into(),
                        "Сч. №".into(),
                        a.corr_account.clone().into(),
                    ]),
                    Row::new(vec![
                        format!("ИНН {}    КПП {}", c.inn, c.kpp).into(),
                        "Сч. №".into(),
                        a.account.clone().into(),
                    ]),
                    Row::new(vec![
                        format!("{}\nПолучатель", c.print_name()).into(),
                        "".into(),
                        "".into(),
                    ]),
                ],
            ));
        }
        f.push(Block::Title(format!(
            "Счёт на оплату № {} от {}",
            d.number,
            date_ru(&d.date)
        )));
        f.push(Block::plain_grid(
            vec![Col::left(0.2), Col::left(0.8)],
            vec![
                Row::new(vec![
                    "Поставщик\n(Исполнитель):".into(),
                    Cell::new(ours(&c)).bold(),
                ]),
                Row::new(vec![
                    "Покупатель\n(Заказчик):".into(),
                    Cell::new(theirs(&cp)).bold(),
                ]),
                Row::new(vec![
                    "Основание:".into(),
                    self.basis(d.order_id).await?.into(),
                ]),
            ],
        ));
        let mut rows = vec![Row::header(vec![
            "№".into(),
            "Товары (работы, услуги)".into(),
            "Кол-во".into(),
            "Ед.".into(),
            "Цена".into(),
            "Сумма".into(),
        ])];
        for l in &inv.lines {
            rows.push(Row::new(vec![
                l.line_no.to_string().into(),
                l.product_name.clone().into(),
                qty_ru(l.qty).into(),
                l.unit.clone().into(),
                rub(l.price).into(),
                rub(l.amount).into(),
            ]));
        }
        f.push(Block::grid(
            vec![
                Col::center(0.05),
                Col::left(0.5),
                Col::right(0.1),
                Col::center(0.07),
                Col::right(0.14),
                Col::right(0.14),
            ],
            rows,
        ));
        let vat: i64 = inv.lines.iter().map(|l| vat_of(&c, l)).sum();
        f.push(Block::right(format!("Итого: {}", rub(d.amount)), true));
        if c.vat_payer {
            f.push(Block::right(format!("В том числе НДС: {}", rub(vat)), true));
        } else {
            f.push(Block::right("Без НДС", true));
        }
        f.push(Block::right(
            format!("Всего к оплате: {}", rub(d.amount)),
            true,
        ));
        f.push(Block::text(format!(
            "Всего наименований {}, на сумму {} руб.",
            inv.lines.len(),
            rub(d.amount)
        )));
        f.push(Block::bold(capitalized(&kupets_domain::words::rubles(
            d.amount,
        ))));
        f.push(Block::text(format!(
            "Оплатить не позднее {}. Оплата этого счёта означает согласие с условиями поставки товара.",
            date_ru(&inv.due_date)
        )));
        if !inv.qr_payload.is_empty() {
            f.push(Block::Qr {
                payload: inv.qr_payload.clone(),
                caption: "Оплата по QR-коду: отсканируйте код в приложении банка — реквизиты, сумма и назначение платежа заполнятся сами.".into(),
            });
        }
        f.push(Block::Signatures(vec![director(&c), accountant(&c)]));
        Ok(f)
    }

    /// УПД (status 1 with VAT, 2 for a non-payer) or ТОРГ-12 for a shipment;
    /// `paper` None takes the company card's setting.
    pub async fn shipment_paper(
        &self,
        actor: &Actor,
        id: i64,
        paper: Option<ShipmentPaper>,
    ) -> Result<Form> {
        let doc = self.get_trade_doc(actor, DocKind::Shipment, id).await?;
        let c = self.company().await?;
        let paper = paper
            .or_else(|| ShipmentPaper::parse(&c.shipment_form))
            .unwrap_or(ShipmentPaper::Upd);
        let cp = self
            .counterparty_of(actor, doc.document.counterparty_id)
            .await?;
        let serials = self.serials_by_line(id).await?;
        let basis = self.basis(doc.document.order_id).await?;
        Ok(match paper {
            ShipmentPaper::Upd => upd(&c, &cp, &doc.document, &doc.lines, &serials, &basis),
            ShipmentPaper::Torg12 => torg12(&c, &cp, &doc.document, &doc.lines, &serials, &basis),
        })
    }

    /// A warranty card per serial-numbered unit of a shipment.
    pub async fn warranty_form(&self, actor: &Actor, shipment_id: i64) -> Result<Form> {
        let doc = self
            .get_trade_doc(actor, DocKind::Shipment, shipment_id)
            .await?;
        let c = self.company().await?;
        let cp = self
            .counterparty_of(actor, doc.document.counterparty_id)
            .await?;
        let rows = sql::query(
            "SELECT u.serial, p.name, p.warranty_months FROM line_units lu JOIN units u ON u.id = lu.unit_id \
             JOIN document_lines l ON l.id = lu.line_id JOIN products p ON p.id = l.product_id \
             WHERE l.document_id = $1 ORDER BY l.line_no, u.serial",
        )
        .bind(shipment_id)
        .fetch_all(self.store.reader())
        .await?;
        if rows.is_empty() {
            return Err(AppError::conflict(
                "no_serials",
                "В отгрузке нет серийных изделий — гарантийный талон не нужен",
                "The shipment has no serial-numbered units: no warranty card",
            ));
        }
        let shipped = NaiveDate::parse_from_str(&doc.document.date, "%Y-%m-%d")
            .unwrap_or_else(|_| crate::today());
        let mut f = Form::new(
            format!("Гарантийный талон — {}", doc.document.number),
            false,
        );
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                f.push(Block::Space(18.0));
            }
            let months = r.int("warranty_months").max(0) as u32;
            let end = kupets_domain::serial::warranty_end(shipped, months);
            f.push(Block::Title(format!(
                "Гарантийный талон № {}-{}",
                doc.document.number,
                i + 1
            )));
            f.push(Block::grid(
                vec![Col::left(0.3), Col::left(0.7)],
                vec![
                    Row::new(vec!["Изделие".into(), Cell::new(r.text("name")).bold()]),
                    Row::new(vec![
                        "Серийный номер".into(),
                        Cell::new(r.text("serial")).bold(),
                    ]),
                    Row::new(vec![
                        "Дата продажи (отгрузки)".into(),
                        format!(
                            "{} (отгрузка № {})",
                            date_ru(&doc.document.date),
                            doc.document.number
                        )
                        .into(),
                    ]),
                    Row::new(vec![
                        "Гарантия".into(),
                        format!("{months} мес., до {}", kupets_domain::money::date_ru(end)).into(),
                    ]),
                    Row::new(vec![
                        "Покупатель".into(),
                        with_buyer(theirs(&cp), &doc.document).into(),
                    ]),
                    Row::new(vec!["Продавец".into(), ours(&c).into()]),
                ],
            ));
            let terms = if c.warranty_terms.is_empty() {
                "Гарантия действует при соблюдении правил эксплуатации и наличии этого талона. Гарантия не распространяется на изделия с механическими повреждениями и следами вскрытия.".to_string()
            } else {
                c.warranty_terms.clone()
            };
            f.push(Block::small(format!("Условия гарантии: {terms}")));
            f.push(Block::Signatures(vec![
                Sign {
                    role: "Продавец".into(),
                    name: c.director_name.clone(),
                },
                Sign {
                    role: "Покупатель".into(),
                    name: String::new(),
                },
            ]));
            f.push(Block::small("М. П."));
        }
        Ok(f)
    }

    /// Квитанция о приёме в ремонт, or (`act`) the completed-work act of a paid repair.
    pub async fn repair_form(&self, actor: &Actor, repair_id: i64, act: bool) -> Result<Form> {
        let r = self.get_repair(actor, repair_id).await?;
        let c = self.company().await?;
        let cp = match r.counterparty_id {
            Some(id) => Some(self.get_counterparty(actor, id).await?.counterparty),
            None => None,
        };
        let client = cp.as_ref().map(theirs).unwrap_or_default();
        if act {
            // Our own unit repaired is our cost: no act for a client.
            if r.warranty || r.price <= 0 || r.custody != "client" {
                return Err(AppError::conflict(
                    "not_paid_repair",
                    "Акт выполненных работ составляется для платного ремонта с ценой",
                    "A completed-work act is made for a paid repair with a price",
                ));
            }
            let mut f = Form::new(format!("Акт выполненных работ № {}", r.number), false);
            f.push(Block::Title(format!(
                "Акт № {} от {}",
                r.number,
                date_ru(
                    r.closed_date
                        .as_deref()
                        .unwrap_or(&crate::today().to_string())
                )
            )));
            f.push(Block::plain_grid(
                vec![Col::left(0.2), Col::left(0.8)],
                vec![
                    Row::new(vec!["Исполнитель:".into(), Cell::new(ours(&c)).bold()]),
                    Row::new(vec!["Заказчик:".into(), Cell::new(client.clone()).bold()]),
                    Row::new(vec![
                        "Основание:".into(),
                        format!(
                            "Заказ на ремонт № {} от {}",
                            r.number,
                            date_ru(&r.received_date)
                        )
                        .into(),
                    ]),
                ],
            ));
            let vat = if c.vat_payer {
                VatRate::R22.vat_of(Money(r.price)).0
            } else {
                0
            };
            f.push(Block::grid(
                vec![
                    Col::center(0.06),
                    Col::left(0.64),
                    Col::right(0.15),
                    Col::right(0.15),
                ],
                vec![
                    Row::header(vec![
                        "№".into(),
                        "Наименование работ, услуг".into(),
                        "Кол-во".into(),
                        "Сумма".into(),
                    ]),
                    Row::new(vec![
                        "1".into(),
                        format!(
                            "Ремонт: {} (серийный № {}). {}",
                            r.product_name,
                            r.serial,
                            if r.work.is_empty() {
                                "Работы по ремонту"
                            } else {
                                &r.work
                            }
                        )
                        .into(),
                        "1".into(),
                        rub(r.price).into(),
                    ]),
                ],
            ));
            f.push(Block::right(format!("Итого: {}", rub(r.price)), true));
            f.push(Block::right(
                if c.vat_payer {
                    format!("В том числе НДС: {}", rub(vat))
                } else {
                    "Без НДС".into()
                },
                true,
            ));
            f.push(Block::text(format!(
                "Всего оказано услуг 1, на сумму {} руб.",
                rub(r.price)
            )));
            f.push(Block::bold(capitalized(&kupets_domain::words::rubles(
                r.price,
            ))));
            f.push(Block::text("Вышеперечисленные услуги выполнены полностью и в срок. Заказчик претензий по объему, качеству и срокам оказания услуг не имеет."));
            f.push(Block::Signatures(vec![
                Sign {
                    role: "Исполнитель".into(),
                    name: c.director_name.clone(),
                },
                Sign {
                    role: "Заказчик".into(),
                    name: String::new(),
                },
            ]));
            return Ok(f);
        }
        let mut f = Form::new(format!("Квитанция о приёме в ремонт № {}", r.number), false);
        f.push(Block::Title(format!(
            "Квитанция о приёме изделия в ремонт № {} от {}",
            r.number,
            date_ru(&r.received_date)
        )));
        f.push(Block::text(format!("Сервисный центр: {}", ours(&c))));
        f.push(Block::grid(
            vec![Col::left(0.3), Col::left(0.7)],
            vec![
                Row::new(vec!["Заказчик".into(), Cell::new(client).bold()]),
                Row::new(vec![
                    "Изделие".into(),
                    Cell::new(r.product_name.clone()).bold(),
                ]),
                Row::new(vec![
                    "Серийный номер".into(),
                    Cell::new(r.serial.clone()).bold(),
                ]),
                Row::new(vec![
                    "Заявленная неисправность".into(),
                    r.complaint.clone().into(),
                ]),
                Row::new(vec![
                    "Комплектность".into(),
                    "Изделие; _______________________________".into(),
                ]),
                Row::new(vec![
                    "Внешний вид".into(),
                    "_______________________________________".into(),
                ]),
                Row::new(vec![
                    "Ремонт".into(),
                    if r.warranty {
                        "Гарантийный"
                    } else {
                        "Платный (стоимость согласуется после диагностики)"
                    }
                    .into(),
                ]),
            ],
        ));
        f.push(Block::small("Изделие принято без разборки и проверки внутренних повреждений. С условиями ремонта заказчик ознакомлен и согласен."));
        f.push(Block::Signatures(vec![
            Sign {
                role: "Принял".into(),
                name: String::new(),
            },
            Sign {
                role: "Сдал (заказчик)".into(),
                name: String::new(),
            },
        ]));
        Ok(f)
    }

    /// The акт сверки with our requisites and signatories.
    pub async fn reconciliation_form(
        &self,
        actor: &Actor,
        counterparty_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Form> {
        let r = self
            .reconciliation(actor, counterparty_id, from, to)
            .await?;
        let c = self.company().await?;
        let cp = self.counterparty_of(actor, Some(counterparty_id)).await?;
        let m = |v: &str| {
            if v.is_empty() {
                String::new()
            } else {
                rub(Money::parse(v).unwrap_or_default().0)
            }
        };
        let split = |v: &str| {
            let x = Money::parse(v).unwrap_or_default();
            if x.0 > 0 {
                (rub(x.0), String::new())
            } else if x.0 < 0 {
                (String::new(), rub(-x.0))
            } else {
                (String::new(), String::new())
            }
        };
        let mut f = Form::new(format!("Акт сверки — {}", r.counterparty), false);
        f.push(Block::Title(format!(
            "Акт сверки взаимных расчётов за период {} – {} между {} и {}",
            kupets_domain::money::date_ru(from),
            kupets_domain::money::date_ru(to),
            r.our_company,
            r.counterparty
        )));
        f.push(Block::small(ours(&c)));
        f.push(Block::small(theirs(&cp)));
        let mut rows = vec![
            Row::header(vec![
                Cell::new(format!("По данным {}, руб.", r.our_company)).span(4),
                Cell::new(format!("По данным {}, руб.", r.counterparty)).span(4),
            ]),
            Row::header(vec![
                "Дата".into(),
                "Документ".into(),
                "Дебет".into(),
                "Кредит".into(),
                "Дата".into(),
                "Документ".into(),
                "Дебет".into(),
                "Кредит".into(),
            ]),
        ];
        let (od, oc) = split(&r.opening);
        rows.push(Row::new(vec![
            Cell::new("Сальдо начальное").span(2).bold(),
            od.into(),
            oc.into(),
            Cell::new("Сальдо начальное").span(2).bold(),
            "".into(),
            "".into(),
        ]));
        for row in &r.rows {
            rows.push(Row::new(vec![
                date_ru(&row.date).into(),
                row.title.clone().into(),
                m(&row.debit).into(),
                m(&row.credit).into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
            ]));
        }
        rows.push(Row::new(vec![
            Cell::new("Обороты за период").span(2).bold(),
            m(&r.turnover_debit).into(),
            m(&r.turnover_credit).into(),
            Cell::new("Обороты за период").span(2).bold(),
            "".into(),
            "".into(),
        ]));
        let (cd, cc) = split(&r.closing);
        rows.push(Row::new(vec![
            Cell::new("Сальдо конечное").span(2).bold(),
            cd.into(),
            cc.into(),
            Cell::new("Сальдо конечное").span(2).bold(),
            "".into(),
            "".into(),
        ]));
        f.push(Block::grid(
            vec![
                Col::center(0.09),
                Col::left(0.21),
                Col::right(0.1),
                Col::right(0.1),
                Col::center(0.09),
                Col::left(0.21),
                Col::right(0.1),
                Col::right(0.1),
            ],
            rows,
        ));
        f.push(Block::text(r.conclusion.clone()));
        f.push(Block::plain_grid(
            vec![Col::left(0.5), Col::left(0.5)],
            vec![Row::new(vec![
                format!("От {}", r.our_company).into(),
                format!("От {}", r.counterparty).into(),
            ])],
        ));
        let d = director(&c);
        f.push(Block::plain_grid(
            vec![Col::left(0.5), Col::left(0.5)],
            vec![Row::new(vec![
                format!("{} ______________ / {} /\nМ. П.", d.role, d.name).into(),
                "______________ / ______________ /\nМ. П.".into(),
            ])],
        ));
        Ok(f)
    }
}

/// УПД: status 1 (счёт-фактура и передаточный документ) when we pay VAT,
/// status 2 (передаточный документ) on УСН, «Без НДС».
fn upd(
    c: &Company,
    cp: &Counterparty,
    d: &kupets_store::model::Document,
    lines: &[DocLine],
    serials: &std::collections::HashMap<i64, Vec<String>>,
    basis: &str,
) -> Form {
    let status = if c.vat_payer { 1 } else { 2 };
    let mut f = Form::new(format!("УПД № {}", d.number), true);
    f.push(Block::plain_grid(
        vec![Col::left(0.28), Col::left(0.72)],
        vec![
            Row::new(vec![
                Cell::new("Универсальный передаточный документ").bold(),
                Cell::new(format!(
                    "Счёт-фактура № {} от {}",
                    d.number,
                    date_ru(&d.date)
                ))
                .bold(),
            ]),
            Row::new(vec![
                Cell::new(format!("Статус: {status}")).bold(),
                "Исправление № — от —".into(),
            ]),
            Row::new(vec![
                Cell::new(if status == 1 {
                    "1 — счёт-фактура и передаточный документ (акт)"
                } else {
                    "2 — передаточный документ (акт)"
                }),
                format!("Продавец: {}", c.print_name()).into(),
            ]),
            Row::new(vec![
                "".into(),
                format!("Адрес: {}", c.legal_address).into(),
            ]),
            Row::new(vec![
                "".into(),
                format!("ИНН/КПП продавца: {}/{}", c.inn, c.kpp).into(),
            ]),
            Row::new(vec![
                "".into(),
                "Грузоотправитель и его адрес: он же".into(),
            ]),
            Row::new(vec![
                "".into(),
                format!("Грузополучатель и его адрес: {}", with_buyer(theirs(cp), d)).into(),
            ]),
            Row::new(vec![
                "".into(),
                "К платёжно-расчётному документу № — от —".into(),
            ]),
            Row::new(vec![
                "".into(),
                format!(
                    "Документ об отгрузке: № п/п 1–{} № {} от {}",
                    lines.len(),
                    d.number,
                    date_ru(&d.date)
                )
                .into(),
            ]),
            Row::new(vec![
                "".into(),
                format!(
                    "Покупатель: {}",
                    with_buyer(
                        if cp.full_name.is_empty() {
                            cp.name.clone()
                        } else {
                            cp.full_name.clone()
                        },
                        d
                    )
                )
                .into(),
            ]),
            Row::new(vec!["".into(), format!("Адрес: {}", cp.address).into()]),
            Row::new(vec![
                "".into(),
                format!("ИНН/КПП покупателя: {}/{}", cp.inn, cp.kpp).into(),
            ]),
            Row::new(vec![
                "".into(),
                "Валюта: наименование, код: Российский рубль, 643".into(),
            ]),
        ],
    ));
    let mut rows = vec![Row::header(vec![
        "№ п/п".into(),
        "Код товара".into(),
        "Наименование товара (описание выполненных работ, оказанных услуг)".into(),
        "Ед. изм. код".into(),
        "Ед. изм.".into(),
        "Коли-чество".into(),
        "Цена за единицу без налога".into(),
        "Стоимость без налога — всего".into(),
        "В том числе акциз".into(),
        "Налоговая ставка".into(),
        "Сумма налога".into(),
        "Стоимость с налогом — всего".into(),
        "Страна происхож-дения".into(),
    ])];
    let (mut t_without, mut t_vat, mut t_with) = (0i64, 0i64, 0i64);
    for l in lines {
        let vat = vat_of(c, l);
        let without = l.amount - vat;
        let unit_price = if l.qty > 0 {
            kupets_domain::money::div_round(without as i128 * 1000, l.qty as i128) as i64
        } else {
            0
        };
        t_without += without;
        t_vat += vat;
        t_with += l.amount;
        let empty = Vec::new();
        rows.push(Row::new(vec![
            l.line_no.to_string().into(),
            l.sku.clone().into(),
            with_serials(&l.product_name, serials.get(&l.id).unwrap_or(&empty)).into(),
            okei(&l.unit).into(),
            l.unit.clone().into(),
            qty_ru(l.qty).into(),
            rub(unit_price).into(),
            rub(without).into(),
            "без акциза".into(),
            vat_rate_ru(c, &l.vat_rate).into(),
            if c.vat_payer && l.vat_rate != "none" {
                rub(vat)
            } else {
                "без НДС".into()
            }
            .into(),
            rub(l.amount).into(),
            "—".into(),
        ]));
    }
    rows.push(Row::new(vec![
        Cell::new("Всего к оплате").span(7).bold(),
        Cell::new(rub(t_without)).bold(),
        Cell::new("X").span(2).align(Align::Center),
        Cell::new(if c.vat_payer {
            rub(t_vat)
        } else {
            "без НДС".into()
        })
        .bold(),
        Cell::new(rub(t_with)).bold(),
        "".into(),
    ]));
    f.push(Block::Grid {
        cols: vec![
            Col::center(0.035),
            Col::left(0.07),
            Col::left(0.25),
            Col::center(0.04),
            Col::center(0.04),
            Col::right(0.06),
            Col::right(0.08),
            Col::right(0.08),
            Col::center(0.06),
            Col::center(0.055),
            Col::right(0.07),
            Col::right(0.08),
            Col::center(0.05),
        ],
        rows,
        border: true,
        size: 7.0,
    });
    f.push(Block::text(format!(
        "Всего отпущено на сумму: {}",
        capitalized(&kupets_domain::words::rubles(t_with))
    )));
    f.push(Block::Signatures(vec![
        Sign {
            role: "Руководитель организации или иное уполномоченное лицо".into(),
            name: c.director_name.clone(),
        },
        Sign {
            role: "Главный бухгалтер или иное уполномоченное лицо".into(),
            name: c.accountant_name.clone(),
        },
    ]));
    f.push(Block::text(format!(
        "Основание передачи (сдачи) / получения (приёмки): {basis}"
    )));
    f.push(Block::text(format!(
        "Дата отгрузки, передачи (сдачи): {}",
        date_ru(&d.date)
    )));
    f.push(Block::Signatures(vec![
        Sign {
            role: format!(
                "Товар (груз) передал: {}",
                if c.director_position.is_empty() {
                    "Руководитель"
                } else {
                    &c.director_position
                }
            ),
            name: c.director_name.clone(),
        },
        Sign {
            role: "Товар (груз) получил".into(),
            name: String::new(),
        },
    ]));
    f.push(Block::plain_grid(
        vec![Col::left(0.5), Col::left(0.5)],
        vec![Row::new(vec![
            format!(
                "Наименование экономического субъекта — составителя документа: {}",
                ours(c)
            )
            .into(),
            format!(
                "Наименование экономического субъекта — составителя документа: {}",
                theirs(cp)
            )
            .into(),
        ])],
    ));
    f
}

/// Товарная накладная ТОРГ-12.
fn torg12(
    c: &Company,
    cp: &Counterparty,
    d: &kupets_store::model::Document,
    lines: &[DocLine],
    serials: &std::collections::HashMap<i64, Vec<String>>,
    basis: &str,
) -> Form {
    let mut f = Form::new(format!("ТОРГ-12 № {}", d.number), true);
    f.push(Block::small("Унифицированная форма № ТОРГ-12. Утверждена постановлением Госкомстата России от 25.12.98 № 132"));
    f.push(Block::plain_grid(
        vec![Col::left(0.18), Col::left(0.82)],
        vec![
            Row::new(vec!["Грузоотправитель:".into(), ours(c).into()]),
            Row::new(vec![
                "Грузополучатель:".into(),
                with_buyer(theirs(cp), d).into(),
            ]),
            Row::new(vec!["Поставщик:".into(), ours(c).into()]),
            Row::new(vec!["Плательщик:".into(), with_buyer(theirs(cp), d).into()]),
            Row::new(vec!["Основание:".into(), basis.into()]),
        ],
    ));
    f.push(Block::Title(format!(
        "ТОВАРНАЯ НАКЛАДНАЯ № {} от {}",
        d.number,
        date_ru(&d.date)
    )));
    let mut rows = vec![Row::header(vec![
        "№".into(),
        "Товар: наименование, характеристика".into(),
        "Код".into(),
        "Ед. изм.".into(),
        "Код по ОКЕИ".into(),
        "Количество (масса нетто)".into(),
        "Цена, руб. коп.".into(),
        "Сумма без НДС".into(),
        "НДС, ставка".into(),
        "НДС, сумма".into(),
        "Сумма с НДС".into(),
    ])];
    let (mut t_qty, mut t_without, mut t_vat, mut t_with) = (0i64, 0i64, 0i64, 0i64);
    for l in lines {
        let vat = vat_of(c, l);
        let without = l.amount - vat;
        let unit_price = if l.qty > 0 {
            kupets_domain::money::div_round(without as i128 * 1000, l.qty as i128) as i64
        } else {
            0
        };
        t_qty += l.qty;
        t_without += without;
        t_vat += vat;
        t_with += l.amount;
        let empty = Vec::new();
        rows.push(Row::new(vec![
            l.line_no.to_string().into(),
            with_serials(&l.product_name, serials.get(&l.id).unwrap_or(&empty)).into(),
            l.sku.clone().into(),
            l.unit.clone().into(),
            okei(&l.unit).into(),
            qty_ru(l.qty).into(),
            rub(unit_price).into(),
            rub(without).into(),
            vat_rate_ru(c, &l.vat_rate).into(),
            if c.vat_payer { rub(vat) } else { "—".into() }.into(),
            rub(l.amount).into(),
        ]));
    }
    rows.push(Row::new(vec![
        Cell::new("Всего по накладной").span(5).bold(),
        Cell::new(qty_ru(t_qty)).bold(),
        "X".into(),
        Cell::new(rub(t_without)).bold(),
        "X".into(),
        Cell::new(if c.vat_payer {
            rub(t_vat)
        } else {
            "—".into()
        })
        .bold(),
        Cell::new(rub(t_with)).bold(),
    ]));
    f.push(Block::Grid {
        cols: vec![
            Col::center(0.04),
            Col::left(0.3),
            Col::left(0.07),
            Col::center(0.05),
            Col::center(0.05),
            Col::right(0.08),
            Col::right(0.08),
            Col::right(0.09),
            Col::center(0.06),
            Col::right(0.08),
            Col::right(0.1),
        ],
        rows,
        border: true,
        size: 7.0,
    });
    f.push(Block::text(format!(
        "Товарная накладная имеет приложение на — листах и содержит {} порядковых номеров записей",
        lines.len()
    )));
    f.push(Block::bold(format!(
        "Всего отпущено на сумму: {}",
        capitalized(&kupets_domain::words::rubles(t_with))
    )));
    f.push(Block::Signatures(vec![
        Sign {
            role: format!(
                "Отпуск груза разрешил: {}",
                if c.director_position.is_empty() {
                    "Руководитель"
                } else {
                    &c.director_position
                }
            ),
            name: c.director_name.clone(),
        },
        Sign {
            role: "Груз принял".into(),
            name: String::new(),
        },
        accountant(c),
        Sign {
            role: "Груз получил грузополучатель".into(),
            name: String::new(),
        },
        Sign {
            role: "Отпуск груза произвёл".into(),
            name: String::new(),
        },
    ]));
    f.push(Block::small(
        "М. П.                                                            М. П.",
    ));
    f
}

/// The form as PDF bytes.
pub fn pdf(form: &Form) -> Result<Vec<u8>> {
    kupets_paper::render_pdf(form).map_err(AppError::Internal)
}
