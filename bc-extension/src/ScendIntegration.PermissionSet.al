/// <summary>
/// Assign to the integration's Microsoft Entra application (Microsoft Entra Applications card, User Permission
/// Sets), together with the standard sets listed in bc-extension/README.md: this set covers the extension's own
/// objects only; Sales-Post, Purch.-Post and Item Jnl.-Post Line run on the standard sets' permissions.
/// </summary>
permissionset 50140 "Scend Integration"
{
    Assignable = true;
    Caption = 'Scend 3PL integration API';

    Permissions =
        tabledata "Scend Integration Setup" = R,
        tabledata "Scend Shipment Confirmation" = RIMD,
        tabledata "Scend Shipment Conf. Line" = RIMD,
        tabledata "Scend Stock Adjustment" = RIMD,
        tabledata "Scend Stock Adjustment Line" = RIMD,
        tabledata "Scend Receipt Confirmation" = RIMD,
        tabledata "Scend Receipt Conf. Line" = RIMD,
        table "Scend Integration Setup" = X,
        table "Scend Shipment Confirmation" = X,
        table "Scend Shipment Conf. Line" = X,
        table "Scend Stock Adjustment" = X,
        table "Scend Stock Adjustment Line" = X,
        table "Scend Receipt Confirmation" = X,
        table "Scend Receipt Conf. Line" = X,
        page "Scend Shipment Confirmations" = X,
        page "Scend Shipment Conf. Lines" = X,
        page "Scend Stock Adjustments" = X,
        page "Scend Stock Adjustment Lines" = X,
        page "Scend Receipt Confirmations" = X,
        page "Scend Receipt Conf. Lines" = X,
        codeunit "Scend Shipment Post" = X,
        codeunit "Scend Shipment Post Events" = X,
        codeunit "Scend Stock Adjustment Post" = X,
        codeunit "Scend Receipt Post" = X,
        codeunit "Scend Create Guard" = X;
}
