//! The life cycle every business document shares: draft → posted → cancelled.
//! Only posting moves stock and settlements; a posted document is never edited,
//! it is cancelled by reversing entries so history keeps both.

/// Document kinds. Each has its own numbering per year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Adjustment,
    SalesOrder,
    Shipment,
    Receipt,
    PaymentIn,
    PaymentOut,
    Return,
    SupplierReturn,
    PurchaseOrder,
    /// Makes serial-numbered units from components.
    Production,
    /// A repair order of a serial-numbered unit.
    Repair,
    /// Счёт на оплату: asks a customer to pay; moves nothing by itself.
    Invoice,
    /// A call, meeting, letter, message or note with a client.
    Interaction,
}

impl DocKind {
    pub const ALL: [DocKind; 13] = [
        DocKind::SalesOrder,
        DocKind::Shipment,
        DocKind::Return,
        DocKind::PurchaseOrder,
        DocKind::Receipt,
        DocKind::SupplierReturn,
        DocKind::PaymentIn,
        DocKind::PaymentOut,
        DocKind::Adjustment,
        DocKind::Production,
        DocKind::Repair,
        DocKind::Invoice,
        DocKind::Interaction,
    ];
    pub fn code(self) -> &'static str {
        match self {
            DocKind::Adjustment => "adjustment",
            DocKind::SalesOrder => "sales_order",
            DocKind::Shipment => "shipment",
            DocKind::Receipt => "receipt",
            DocKind::PaymentIn => "payment_in",
            DocKind::PaymentOut => "payment_out",
            DocKind::Return => "return",
            DocKind::SupplierReturn => "supplier_return",
            DocKind::PurchaseOrder => "purchase_order",
            DocKind::Production => "production",
            DocKind::Repair => "repair",
            DocKind::Invoice => "invoice",
            DocKind::Interaction => "interaction",
        }
    }
    /// Whether the kind has product lines.
    pub fn has_lines(self) -> bool {
        !matches!(
            self,
            DocKind::Adjustment | DocKind::PaymentIn | DocKind::PaymentOut | DocKind::Interaction
        )
    }
    /// Stock effect of posting a line: +1 in, −1 out, 0 none.
    pub fn stock_sign(self) -> i64 {
        match self {
            DocKind::Receipt | DocKind::Return => 1,
            DocKind::Shipment | DocKind::SupplierReturn => -1,
            _ => 0,
        }
    }
    /// Effect of posting on the customer's net purchases (which decide
    /// cumulative and volume-maintenance discounts): shipments add, customer
    /// returns subtract.
    pub fn purchase_sign(self) -> i64 {
        match self {
            DocKind::Shipment => 1,
            DocKind::Return => -1,
            _ => 0,
        }
    }
    /// Settlement effect of posting (the table in the domain rules): the sign
    /// of the entry for the document's total. Positive: they owe us more.
    pub fn settlement_sign(self) -> i64 {
        match self {
            DocKind::Shipment | DocKind::PaymentOut | DocKind::SupplierReturn => 1,
            DocKind::Receipt | DocKind::PaymentIn | DocKind::Return => -1,
            // An adjustment carries its own sign; an order moves nothing.
            DocKind::Adjustment => 1,
            DocKind::SalesOrder
            | DocKind::PurchaseOrder
            | DocKind::Production
            | DocKind::Invoice => 0,
            // A paid repair: its price, when handed back.
            DocKind::Repair => 1,
            DocKind::Interaction => 0,
        }
    }
    pub fn parse(s: &str) -> Option<DocKind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    /// Number prefix, as printed: `КОР-2026-000001`.
    pub fn prefix(self) -> &'static str {
        match self {
            DocKind::Adjustment => "КОР",
            DocKind::SalesOrder => "ЗК",
            DocKind::Shipment => "РН",
            DocKind::Receipt => "ПН",
            DocKind::PaymentIn => "ПВХ",
            DocKind::PaymentOut => "ПИСХ",
            DocKind::Return => "ВЗ",
            DocKind::SupplierReturn => "ВЗП",
            DocKind::PurchaseOrder => "ЗПС",
            DocKind::Production => "ПР",
            DocKind::Repair => "РМ",
            DocKind::Invoice => "СЧ",
            DocKind::Interaction => "КНТ",
        }
    }
    pub fn label(self, ru: bool) -> &'static str {
        match (self, ru) {
            (DocKind::Adjustment, true) => "Корректировка долга",
            (DocKind::Adjustment, false) => "Debt adjustment",
            (DocKind::SalesOrder, true) => "Заказ покупателя",
            (DocKind::SalesOrder, false) => "Sales order",
            (DocKind::Shipment, true) => "Отгрузка",
            (DocKind::Shipment, false) => "Shipment",
            (DocKind::Receipt, true) => "Поступление",
            (DocKind::Receipt, false) => "Receipt",
            (DocKind::PaymentIn, true) => "Входящий платёж",
            (DocKind::PaymentIn, false) => "Incoming payment",
            (DocKind::PaymentOut, true) => "Исходящий платёж",
            (DocKind::PaymentOut, false) => "Outgoing payment",
            (DocKind::Return, true) => "Возврат от покупателя",
            (DocKind::Return, false) => "Customer return",
            (DocKind::SupplierReturn, true) => "Возврат поставщику",
            (DocKind::SupplierReturn, false) => "Return to supplier",
            (DocKind::PurchaseOrder, true) => "Заказ поставщику",
            (DocKind::PurchaseOrder, false) => "Purchase order",
            (DocKind::Production, true) => "Производство",
            (DocKind::Production, false) => "Production",
            (DocKind::Repair, true) => "Ремонт",
            (DocKind::Repair, false) => "Repair order",
            (DocKind::Invoice, true) => "Счёт на оплату",
            (DocKind::Invoice, false) => "Invoice",
            (DocKind::Interaction, true) => "Контакт с клиентом",
            (DocKind::Interaction, false) => "Client interaction",
        }
    }
}

/// Formats a document number from its kind, year and sequence.
pub fn doc_number(kind: DocKind, year: i32, seq: i64) -> String {
    format!("{}-{}-{:06}", kind.prefix(), year, seq)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocState {
    Draft,
    Posted,
    Cancelled,
}

/// Why a state change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    NotDraft(DocState),
    NotPosted(DocState),
}

impl DocState {
    pub fn code(self) -> &'static str {
        match self {
            DocState::Draft => "draft",
            DocState::Posted => "posted",
            DocState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<DocState> {
        [DocState::Draft, DocState::Posted, DocState::Cancelled]
            .into_iter()
            .find(|k| k.code() == s)
    }
    pub fn label(self, ru: bool) -> &'static str {
        match (self, ru) {
            (DocState::Draft, true) => "Черновик",
            (DocState::Draft, false) => "Draft",
            (DocState::Posted, true) => "Проведён",
            (DocState::Posted, false) => "Posted",
            (DocState::Cancelled, true) => "Отменён",
            (DocState::Cancelled, false) => "Cancelled",
        }
    }
    /// Only drafts may be edited.
    pub fn check_edit(self) -> Result<(), TransitionError> {
        match self {
            DocState::Draft => Ok(()),
            s => Err(TransitionError::NotDraft(s)),
        }
    }
    pub fn post(self) -> Result<DocState, TransitionError> {
        self.check_edit().map(|_| DocState::Posted)
    }
    pub fn cancel(self) -> Result<DocState, TransitionError> {
        match self {
            DocState::Posted => Ok(DocState::Cancelled),
            s => Err(TransitionError::NotPosted(s)),
        }
    }
}

impl DocKind {
    /// The order kind a document of this kind fulfils, if any.
    pub fn order_kind(self) -> Option<DocKind> {
        match self {
            DocKind::Shipment => Some(DocKind::SalesOrder),
            DocKind::Receipt => Some(DocKind::PurchaseOrder),
            _ => None,
        }
    }
    /// The document kind a return reverses.
    pub fn base_kind(self) -> Option<DocKind> {
        match self {
            DocKind::Return => Some(DocKind::Shipment),
            DocKind::SupplierReturn => Some(DocKind::Receipt),
            _ => None,
        }
    }
    pub fn is_order(self) -> bool {
        matches!(self, DocKind::SalesOrder | DocKind::PurchaseOrder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn every_kind_parses_back() {
        // ALL once missed returns and purchase orders, so their codes did not parse.
        for k in DocKind::ALL {
            assert_eq!(DocKind::parse(k.code()), Some(k));
        }
        let mut prefixes: Vec<&str> = DocKind::ALL.iter().map(|k| k.prefix()).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(prefixes.len(), DocKind::ALL.len(), "prefixes are unique");
    }

    #[test]
    fn life_cycle() {
        assert_eq!(DocState::Draft.post(), Ok(DocState::Posted));
        assert_eq!(DocState::Posted.cancel(), Ok(DocState::Cancelled));
        assert!(DocState::Posted.check_edit().is_err());
        assert!(DocState::Posted.post().is_err());
        assert!(DocState::Draft.cancel().is_err());
        assert!(DocState::Cancelled.cancel().is_err());
        assert_eq!(doc_number(DocKind::Adjustment, 2026, 7), "КОР-2026-000007");
        assert!(
            DocKind::Return.has_lines()
                && DocKind::PurchaseOrder.has_lines()
                && !DocKind::PaymentIn.has_lines()
        );
    }
}
