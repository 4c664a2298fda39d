/// What an employee may do is decided by role; the server checks it on every
/// request, the pages only hide what would be refused anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    DepartmentHead,
    Manager,
    Accountant,
    Storekeeper,
    ServiceEngineer,
}

/// Groups of actions that rights are granted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// Read master data and documents.
    Read,
    /// Create and edit counterparties.
    EditCounterparties,
    /// Create and edit products, groups, price types, prices, warehouses.
    EditCatalog,
    /// Manage employees and departments, settings.
    ManagePeople,
    /// Create and post settlement documents (payments, adjustments).
    PostSettlements,
    /// Cancel posted documents.
    CancelDocuments,
    /// Browse the audit log (admins all of it, heads their department's,
    /// accountants documents' and counterparties').
    ReadAudit,
    /// Create and post sales orders.
    Sell,
    /// Create and post shipments and receipts.
    MoveStock,
    /// Post a shipment over the customer's credit limit (logged).
    OverrideCreditLimit,
    /// Set discount rules: personal, cumulative, volume, promotions.
    ManagePricing,
    /// Edit the status catalogue.
    ManageStatuses,
    /// See a whole department's documents and reminders; hand a leaving
    /// employee's work over.
    LeadDepartment,
    /// Open and carry out repair orders.
    Repair,
    /// See cost of goods and margins (sales report, ABC by margin, the
    /// owner's page); a manager sees revenue of their own clients only.
    SeeCost,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::DepartmentHead,
        Role::Manager,
        Role::Accountant,
        Role::Storekeeper,
        Role::ServiceEngineer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DepartmentHead => "department_head",
            Role::Manager => "manager",
            Role::Accountant => "accountant",
            Role::Storekeeper => "storekeeper",
            Role::ServiceEngineer => "service_engineer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }
    pub fn label(self, ru: bool) -> &'static str {
        match (self, ru) {
            (Role::Admin, true) => "Администратор",
            (Role::Admin, false) => "Administrator",
            (Role::DepartmentHead, true) => "Руководитель отдела",
            (Role::DepartmentHead, false) => "Department head",
            (Role::Manager, true) => "Менеджер",
            (Role::Manager, false) => "Manager",
            (Role::Accountant, true) => "Бухгалтер",
            (Role::Accountant, false) => "Accountant",
            (Role::Storekeeper, true) => "Кладовщик",
            (Role::Storekeeper, false) => "Storekeeper",
            (Role::ServiceEngineer, true) => "Сервисный инженер",
            (Role::ServiceEngineer, false) => "Service engineer",
        }
    }

    pub fn can(self, right: Right) -> bool {
        use Right::*;
        use Role::*;
        match right {
            Read => true,
            EditCounterparties => matches!(self, Admin | DepartmentHead | Manager | Accountant),
            EditCatalog => matches!(self, Admin | DepartmentHead | Storekeeper),
            ManagePeople => matches!(self, Admin),
            PostSettlements => matches!(self, Admin | DepartmentHead | Accountant),
            CancelDocuments => matches!(self, Admin | DepartmentHead | Accountant),
            // Heads and accountants read the part they may see (see
            // `App::audit_log`).
            ReadAudit => matches!(self, Admin | DepartmentHead | Accountant),
            Sell => matches!(self, Admin | DepartmentHead | Manager),
            MoveStock => matches!(self, Admin | DepartmentHead | Manager | Storekeeper),
            OverrideCreditLimit => matches!(self, Admin | DepartmentHead),
            ManagePricing => matches!(self, Admin | DepartmentHead),
            ManageStatuses => matches!(self, Admin),
            LeadDepartment => matches!(self, Admin | DepartmentHead),
            Repair => matches!(self, Admin | DepartmentHead | ServiceEngineer | Manager),
            SeeCost => matches!(self, Admin | DepartmentHead | Accountant),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn rights() {
        assert!(Role::Admin.can(Right::ManagePeople));
        assert!(!Role::Manager.can(Right::ManagePeople));
        assert!(!Role::Storekeeper.can(Right::EditCounterparties));
        assert!(Role::Storekeeper.can(Right::EditCatalog));
        assert!(!Role::Manager.can(Right::PostSettlements));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
    }
}
