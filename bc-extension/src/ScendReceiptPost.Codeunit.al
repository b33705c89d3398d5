/// <summary>
/// Posts a receipt confirmation: the purchase order is received, not invoiced (Purch.-Post with
/// Receive = true, Invoice = false), Qty. to Receive = the confirmed quantities and 0 on every other line.
/// Purch.-Post's commit is suppressed, so any error changes nothing (contract §2.3).
/// </summary>
codeunit 50123 "Scend Receipt Post"
{
    Access = Internal;
    TableNo = "Scend Receipt Confirmation";

    trigger OnRun()
    begin
        Post(Rec);
    end;

    var
        NothingToPostErr: Label 'There is nothing to post.';
        CannotReceiveMoreErr: Label 'You cannot receive more than %1 units.', Comment = '%1 = the quantity still outstanding on the purchase order line';
        NotALineOfTheOrderErr: Label 'Purchase order line %1 is not a line of purchase order %2.', Comment = '%1 = the purchase order line id, %2 = the purchase order number';

    procedure Post(var ScendReceiptConfirmation: Record "Scend Receipt Confirmation")
    var
        PurchaseHeader: Record "Purchase Header";
        PurchRcptHeader: Record "Purch. Rcpt. Header";
        PurchPost: Codeunit "Purch.-Post";
        Quantities: Dictionary of [Guid, Decimal];
    begin
        ScendReceiptConfirmation.ReadIsolation := IsolationLevel::UpdLock;
        ScendReceiptConfirmation.GetBySystemId(ScendReceiptConfirmation.SystemId);
        if ScendReceiptConfirmation.Status = ScendReceiptConfirmation.Status::Posted then
            exit;

        CollectQuantities(ScendReceiptConfirmation, Quantities);
        PurchaseHeader.GetBySystemId(ScendReceiptConfirmation."Purchase Order Id");
        PurchaseHeader.TestField("Document Type", PurchaseHeader."Document Type"::Order);
        PurchaseHeader.SetHideValidationDialog(true);
        PurchaseHeader.Validate("Posting Date", ScendReceiptConfirmation."Receipt Date");
        if ScendReceiptConfirmation."Vendor Shipment No." <> '' then
            PurchaseHeader.Validate("Vendor Shipment No.", ScendReceiptConfirmation."Vendor Shipment No.");
        PurchaseHeader.Modify(true);

        SetQuantitiesToReceive(PurchaseHeader, Quantities);

        // The line updates may have touched the header: post the current version of it.
        PurchaseHeader.Get(PurchaseHeader."Document Type", PurchaseHeader."No.");
        PurchaseHeader.Receive := true;
        PurchaseHeader.Invoice := false;

        PurchPost.SetSuppressCommit(true);
        PurchPost.Run(PurchaseHeader);

        PurchRcptHeader.SetLoadFields("No.");
        PurchRcptHeader.Get(PurchaseHeader."Last Receiving No.");
        ScendReceiptConfirmation.Status := ScendReceiptConfirmation.Status::Posted;
        ScendReceiptConfirmation."Purch. Receipt Id" := PurchRcptHeader.SystemId;
        ScendReceiptConfirmation."Purch. Receipt No." := PurchRcptHeader."No.";
        ScendReceiptConfirmation.Modify(true);
    end;

    local procedure CollectQuantities(ScendReceiptConfirmation: Record "Scend Receipt Confirmation"; var Quantities: Dictionary of [Guid, Decimal])
    var
        ScendReceiptConfLine: Record "Scend Receipt Conf. Line";
        ConfirmedQuantity: Decimal;
    begin
        ScendReceiptConfLine.SetRange("Document Id", ScendReceiptConfirmation.SystemId);
        ScendReceiptConfLine.SetLoadFields("Purchase Order Line Id", Quantity);
        if not ScendReceiptConfLine.FindSet() then
            Error(NothingToPostErr);
        repeat
            if Quantities.Get(ScendReceiptConfLine."Purchase Order Line Id", ConfirmedQuantity) then
                Quantities.Set(ScendReceiptConfLine."Purchase Order Line Id", ConfirmedQuantity + ScendReceiptConfLine.Quantity)
            else
                Quantities.Add(ScendReceiptConfLine."Purchase Order Line Id", ScendReceiptConfLine.Quantity);
        until ScendReceiptConfLine.Next() = 0;
    end;

    local procedure SetQuantitiesToReceive(PurchaseHeader: Record "Purchase Header"; Quantities: Dictionary of [Guid, Decimal])
    var
        PurchaseLine: Record "Purchase Line";
        ConfirmedQuantity: Decimal;
    begin
        PurchaseLine.SetRange("Document Type", PurchaseHeader."Document Type");
        PurchaseLine.SetRange("Document No.", PurchaseHeader."No.");
        PurchaseLine.SetFilter(Type, '<>%1', PurchaseLine.Type::" ");
        if PurchaseLine.FindSet(true) then
            repeat
                if Quantities.Get(PurchaseLine.SystemId, ConfirmedQuantity) then begin
                    if ConfirmedQuantity > PurchaseLine."Outstanding Quantity" then
                        Error(CannotReceiveMoreErr, PurchaseLine."Outstanding Quantity");
                    PurchaseLine.Validate("Qty. to Receive", ConfirmedQuantity);
                    PurchaseLine.Modify(true);
                    Quantities.Remove(PurchaseLine.SystemId);
                end else
                    if PurchaseLine."Qty. to Receive" <> 0 then begin
                        PurchaseLine.Validate("Qty. to Receive", 0);
                        PurchaseLine.Modify(true);
                    end;
            until PurchaseLine.Next() = 0;
        if Quantities.Count() <> 0 then
            Error(NotALineOfTheOrderErr, Quantities.Keys().Get(1), PurchaseHeader."No.");
    end;
}
