table 50106 "Scend Receipt Conf. Line"
{
    Access = Public;
    Caption = 'Scend Receipt Confirmation Line';
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
        field(3; "Purchase Order Line Id"; Guid)
        {
            Caption = 'Purchase Order Line Id';
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
        ScendReceiptConfirmation: Record "Scend Receipt Confirmation";
    begin
        Rec.TestField("Purchase Order Line Id");
        GetHeader(ScendReceiptConfirmation);
        ScendReceiptConfirmation.TestStatusOpen();
        SetItemNo(ScendReceiptConfirmation);
        CheckQuantity();
        if Rec."Line No." = 0 then
            Rec."Line No." := NextLineNo();
    end;

    trigger OnModify()
    var
        ScendReceiptConfirmation: Record "Scend Receipt Confirmation";
    begin
        GetHeader(ScendReceiptConfirmation);
        ScendReceiptConfirmation.TestStatusOpen();
        CheckQuantity();
    end;

    trigger OnDelete()
    var
        ScendReceiptConfirmation: Record "Scend Receipt Confirmation";
    begin
        GetHeader(ScendReceiptConfirmation);
        ScendReceiptConfirmation.TestStatusOpen();
    end;

    trigger OnRename()
    begin
        Error(CannotRenameErr, Rec.TableCaption());
    end;

    var
        CannotRenameErr: Label 'You cannot rename a %1.', Comment = '%1 = the table caption';
        CannotChangeErr: Label 'You cannot change %1 after the line is created.', Comment = '%1 = the field caption';
        QuantityPositiveErr: Label 'Quantity must be greater than 0.';
        NotALineOfTheOrderErr: Label '%1 %2 is not a line of the confirmed order.', Comment = '%1 = the field caption, %2 = the purchase order line id';

    /// <summary>The fields the contract sets on create only.</summary>
    procedure TestInsertOnlyFields(xScendReceiptConfLine: Record "Scend Receipt Conf. Line")
    begin
        if Rec."Document Id" <> xScendReceiptConfLine."Document Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Document Id"));
        if Rec."Line No." <> xScendReceiptConfLine."Line No." then
            Error(CannotChangeErr, Rec.FieldCaption("Line No."));
        if Rec."Purchase Order Line Id" <> xScendReceiptConfLine."Purchase Order Line Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Purchase Order Line Id"));
    end;

    local procedure GetHeader(var ScendReceiptConfirmation: Record "Scend Receipt Confirmation")
    begin
        ScendReceiptConfirmation.SetLoadFields(Status, "Purchase Order No.");
        ScendReceiptConfirmation.GetBySystemId(Rec."Document Id");
    end;

    local procedure SetItemNo(ScendReceiptConfirmation: Record "Scend Receipt Confirmation")
    var
        PurchaseLine: Record "Purchase Line";
    begin
        PurchaseLine.SetLoadFields("Document Type", "Document No.", "No.");
        if not PurchaseLine.GetBySystemId(Rec."Purchase Order Line Id") then
            Error(NotALineOfTheOrderErr, Rec.FieldCaption("Purchase Order Line Id"), Rec."Purchase Order Line Id");
        if (PurchaseLine."Document Type" <> PurchaseLine."Document Type"::Order) or
           (PurchaseLine."Document No." <> ScendReceiptConfirmation."Purchase Order No.")
        then
            Error(NotALineOfTheOrderErr, Rec.FieldCaption("Purchase Order Line Id"), Rec."Purchase Order Line Id");
        Rec."Item No." := PurchaseLine."No.";
    end;

    local procedure CheckQuantity()
    begin
        if Rec.Quantity <= 0 then
            Error(QuantityPositiveErr);
    end;

    local procedure NextLineNo(): Integer
    var
        ScendReceiptConfLine: Record "Scend Receipt Conf. Line";
    begin
        ScendReceiptConfLine.SetRange("Document Id", Rec."Document Id");
        ScendReceiptConfLine.SetLoadFields("Line No.");
        if ScendReceiptConfLine.FindLast() then
            exit(ScendReceiptConfLine."Line No." + 10000);
        exit(10000);
    end;
}
