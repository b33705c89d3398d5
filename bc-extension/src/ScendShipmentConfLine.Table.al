table 50102 "Scend Shipment Conf. Line"
{
    Access = Public;
    Caption = 'Scend Shipment Confirmation Line';
    DataClassification = CustomerContent;

    fields
    {
        field(1; "Document Id"; Guid)
        {
            Caption = 'Document Id';
            DataClassification = CustomerContent;
        }
        field(2; "Line No."; Integer)
        {
            Caption = 'Line No.';
            DataClassification = CustomerContent;
        }
        field(3; "Sales Order Line Id"; Guid)
        {
            Caption = 'Sales Order Line Id';
            DataClassification = CustomerContent;
        }
        field(4; "Item No."; Code[20])
        {
            Caption = 'Item No.';
            DataClassification = CustomerContent;
            Editable = false;
        }
        field(5; Quantity; Decimal)
        {
            Caption = 'Quantity';
            DataClassification = CustomerContent;
            DecimalPlaces = 0 : 5;

            trigger OnValidate()
            begin
                CheckQuantity();
            end;
        }
    }

    keys
    {
        key(PK; "Document Id", "Line No.")
        {
            Clustered = true;
        }
    }

    trigger OnInsert()
    var
        ScendShipmentConfirmation: Record "Scend Shipment Confirmation";
    begin
        Rec.TestField("Sales Order Line Id");
        GetHeader(ScendShipmentConfirmation);
        ScendShipmentConfirmation.TestStatusOpen();
        SetItemNo(ScendShipmentConfirmation);
        CheckQuantity();
        if Rec."Line No." = 0 then
            Rec."Line No." := NextLineNo();
    end;

    trigger OnModify()
    var
        ScendShipmentConfirmation: Record "Scend Shipment Confirmation";
    begin
        GetHeader(ScendShipmentConfirmation);
        ScendShipmentConfirmation.TestStatusOpen();
        CheckQuantity();
    end;

    trigger OnDelete()
    var
        ScendShipmentConfirmation: Record "Scend Shipment Confirmation";
    begin
        GetHeader(ScendShipmentConfirmation);
        ScendShipmentConfirmation.TestStatusOpen();
    end;

    trigger OnRename()
    begin
        Error(CannotRenameErr, Rec.TableCaption());
    end;

    var
        CannotRenameErr: Label 'You cannot rename a %1.', Comment = '%1 = the table caption';
        CannotChangeErr: Label 'You cannot change %1 after the line is created.', Comment = '%1 = the field caption';
        QuantityPositiveErr: Label 'Quantity must be greater than 0.';
        NotALineOfTheOrderErr: Label '%1 %2 is not a line of the confirmed order.', Comment = '%1 = the field caption, %2 = the sales order line id';

    /// <summary>The fields the contract sets on create only.</summary>
    procedure TestInsertOnlyFields(xScendShipmentConfLine: Record "Scend Shipment Conf. Line")
    begin
        if Rec."Document Id" <> xScendShipmentConfLine."Document Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Document Id"));
        if Rec."Line No." <> xScendShipmentConfLine."Line No." then
            Error(CannotChangeErr, Rec.FieldCaption("Line No."));
        if Rec."Sales Order Line Id" <> xScendShipmentConfLine."Sales Order Line Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Sales Order Line Id"));
    end;

    local procedure GetHeader(var ScendShipmentConfirmation: Record "Scend Shipment Confirmation")
    begin
        ScendShipmentConfirmation.SetLoadFields(Status, "Sales Order No.");
        ScendShipmentConfirmation.GetBySystemId(Rec."Document Id");
    end;

    local procedure SetItemNo(ScendShipmentConfirmation: Record "Scend Shipment Confirmation")
    var
        SalesLine: Record "Sales Line";
    begin
        SalesLine.SetLoadFields("Document Type", "Document No.", "No.");
        if not SalesLine.GetBySystemId(Rec."Sales Order Line Id") then
            Error(NotALineOfTheOrderErr, Rec.FieldCaption("Sales Order Line Id"), Rec."Sales Order Line Id");
        if (SalesLine."Document Type" <> SalesLine."Document Type"::Order) or
           (SalesLine."Document No." <> ScendShipmentConfirmation."Sales Order No.")
        then
            Error(NotALineOfTheOrderErr, Rec.FieldCaption("Sales Order Line Id"), Rec."Sales Order Line Id");
        Rec."Item No." := SalesLine."No.";
    end;

    local procedure CheckQuantity()
    begin
        if Rec.Quantity <= 0 then
            Error(QuantityPositiveErr);
    end;

    local procedure NextLineNo(): Integer
    var
        ScendShipmentConfLine: Record "Scend Shipment Conf. Line";
    begin
        ScendShipmentConfLine.SetRange("Document Id", Rec."Document Id");
        ScendShipmentConfLine.SetLoadFields("Line No.");
        if ScendShipmentConfLine.FindLast() then
            exit(ScendShipmentConfLine."Line No." + 10000);
        exit(10000);
    end;
}
