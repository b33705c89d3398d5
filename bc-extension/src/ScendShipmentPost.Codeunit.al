/// <summary>
/// Posts a shipment confirmation: the sales order is shipped, not invoiced (Sales-Post with Ship = true,
/// Invoice = false), Qty. to Ship = the confirmed quantities and 0 on every other line. One transaction:
/// Sales-Post's commit is suppressed, so any error leaves the order, the ledgers and the confirmation as they
/// were (contract §2.3). A posted confirmation is answered as it is (contract §2.2).
/// </summary>
codeunit 50120 "Scend Shipment Post"
{
    Access = Internal;
    TableNo = "Scend Shipment Confirmation";

    trigger OnRun()
    begin
        Post(Rec);
    end;

    var
        NothingToPostErr: Label 'There is nothing to post.';
        CannotShipMoreErr: Label 'You cannot ship more than %1 units.', Comment = '%1 = the quantity still outstanding on the sales order line';
        NotALineOfTheOrderErr: Label 'Sales order line %1 is not a line of sales order %2.', Comment = '%1 = the sales order line id, %2 = the sales order number';

    procedure Post(var ScendShipmentConfirmation: Record "Scend Shipment Confirmation")
    var
        SalesHeader: Record "Sales Header";
        SalesShipmentHeader: Record "Sales Shipment Header";
        ScendShipmentPostEvents: Codeunit "Scend Shipment Post Events";
        SalesPost: Codeunit "Sales-Post";
        Quantities: Dictionary of [Guid, Decimal];
    begin
        // Re-read under an update lock: two concurrent posts of one confirmation serialise here, and the
        // second one sees Posted.
        ScendShipmentConfirmation.ReadIsolation := IsolationLevel::UpdLock;
        ScendShipmentConfirmation.GetBySystemId(ScendShipmentConfirmation.SystemId);
        if ScendShipmentConfirmation.Status = ScendShipmentConfirmation.Status::Posted then
            exit;

        CollectQuantities(ScendShipmentConfirmation, Quantities);
        SalesHeader.GetBySystemId(ScendShipmentConfirmation."Sales Order Id");
        SalesHeader.TestField("Document Type", SalesHeader."Document Type"::Order);
        SalesHeader.SetHideValidationDialog(true);
        SalesHeader.Validate("Posting Date", ScendShipmentConfirmation."Shipment Date");
        SalesHeader.Modify(true);

        SetQuantitiesToShip(SalesHeader, Quantities);

        // The line updates may have touched the header: post the current version of it.
        SalesHeader.Get(SalesHeader."Document Type", SalesHeader."No.");
        SalesHeader.Ship := true;
        SalesHeader.Invoice := false;

        ScendShipmentPostEvents.SetConfirmation(ScendShipmentConfirmation);
        BindSubscription(ScendShipmentPostEvents);
        SalesPost.SetSuppressCommit(true);
        SalesPost.Run(SalesHeader);
        UnbindSubscription(ScendShipmentPostEvents);

        SalesShipmentHeader.SetLoadFields("No.");
        SalesShipmentHeader.Get(SalesHeader."Last Shipping No.");
        ScendShipmentConfirmation.Status := ScendShipmentConfirmation.Status::Posted;
        ScendShipmentConfirmation."Sales Shipment Id" := SalesShipmentHeader.SystemId;
        ScendShipmentConfirmation."Sales Shipment No." := SalesShipmentHeader."No.";
        ScendShipmentConfirmation.Modify(true);
    end;

    local procedure CollectQuantities(ScendShipmentConfirmation: Record "Scend Shipment Confirmation"; var Quantities: Dictionary of [Guid, Decimal])
    var
        ScendShipmentConfLine: Record "Scend Shipment Conf. Line";
        ConfirmedQuantity: Decimal;
    begin
        // Several confirmation lines may name one order line: they add up.
        ScendShipmentConfLine.SetRange("Document Id", ScendShipmentConfirmation.SystemId);
        ScendShipmentConfLine.SetLoadFields("Sales Order Line Id", Quantity);
        if not ScendShipmentConfLine.FindSet() then
            Error(NothingToPostErr);
        repeat
            if Quantities.Get(ScendShipmentConfLine."Sales Order Line Id", ConfirmedQuantity) then
                Quantities.Set(ScendShipmentConfLine."Sales Order Line Id", ConfirmedQuantity + ScendShipmentConfLine.Quantity)
            else
                Quantities.Add(ScendShipmentConfLine."Sales Order Line Id", ScendShipmentConfLine.Quantity);
        until ScendShipmentConfLine.Next() = 0;
    end;

    local procedure SetQuantitiesToShip(SalesHeader: Record "Sales Header"; Quantities: Dictionary of [Guid, Decimal])
    var
        SalesLine: Record "Sales Line";
        ConfirmedQuantity: Decimal;
    begin
        SalesLine.SetRange("Document Type", SalesHeader."Document Type");
        SalesLine.SetRange("Document No.", SalesHeader."No.");
        SalesLine.SetFilter(Type, '<>%1', SalesLine.Type::" ");
        if SalesLine.FindSet(true) then
            repeat
                if Quantities.Get(SalesLine.SystemId, ConfirmedQuantity) then begin
                    if ConfirmedQuantity > SalesLine."Outstanding Quantity" then
                        Error(CannotShipMoreErr, SalesLine."Outstanding Quantity");
                    SalesLine.Validate("Qty. to Ship", ConfirmedQuantity);
                    SalesLine.Modify(true);
                    Quantities.Remove(SalesLine.SystemId);
                end else
                    if SalesLine."Qty. to Ship" <> 0 then begin
                        SalesLine.Validate("Qty. to Ship", 0);
                        SalesLine.Modify(true);
                    end;
            until SalesLine.Next() = 0;
        if Quantities.Count() <> 0 then
            Error(NotALineOfTheOrderErr, Quantities.Keys().Get(1), SalesHeader."No.");
    end;
}
