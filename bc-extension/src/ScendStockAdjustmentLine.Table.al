table 50104 "Scend Stock Adjustment Line"
{
    Access = Public;
    Caption = 'Scend Stock Adjustment Line';
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
        field(3; "Item Id"; Guid)
        {
            Caption = 'Item Id';
            DataClassification = CustomerContent;
        }
        field(4; "Item No."; Code[20])
        {
            Caption = 'Item No.';
            DataClassification = CustomerContent;
            Editable = false;
        }
        field(5; "Location Code"; Code[10])
        {
            Caption = 'Location Code';
            DataClassification = CustomerContent;
            TableRelation = Location;
        }
        field(6; Quantity; Decimal)
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
        ScendStockAdjustment: Record "Scend Stock Adjustment";
    begin
        Rec.TestField("Item Id");
        Rec.TestField("Location Code");
        GetHeader(ScendStockAdjustment);
        ScendStockAdjustment.TestStatusOpen();
        SetItemNo();
        CheckQuantity();
        if Rec."Line No." = 0 then
            Rec."Line No." := NextLineNo();
    end;

    trigger OnModify()
    var
        ScendStockAdjustment: Record "Scend Stock Adjustment";
    begin
        GetHeader(ScendStockAdjustment);
        ScendStockAdjustment.TestStatusOpen();
        CheckQuantity();
    end;

    trigger OnDelete()
    var
        ScendStockAdjustment: Record "Scend Stock Adjustment";
    begin
        GetHeader(ScendStockAdjustment);
        ScendStockAdjustment.TestStatusOpen();
    end;

    trigger OnRename()
    begin
        Error(CannotRenameErr, Rec.TableCaption());
    end;

    var
        CannotRenameErr: Label 'You cannot rename a %1.', Comment = '%1 = the table caption';
        CannotChangeErr: Label 'You cannot change %1 after the line is created.', Comment = '%1 = the field caption';
        QuantityNotZeroErr: Label 'Quantity must not be zero.';

    /// <summary>The fields the contract sets on create only.</summary>
    procedure TestInsertOnlyFields(xScendStockAdjustmentLine: Record "Scend Stock Adjustment Line")
    begin
        if Rec."Document Id" <> xScendStockAdjustmentLine."Document Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Document Id"));
        if Rec."Line No." <> xScendStockAdjustmentLine."Line No." then
            Error(CannotChangeErr, Rec.FieldCaption("Line No."));
        if Rec."Item Id" <> xScendStockAdjustmentLine."Item Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Item Id"));
        if Rec."Location Code" <> xScendStockAdjustmentLine."Location Code" then
            Error(CannotChangeErr, Rec.FieldCaption("Location Code"));
    end;

    local procedure GetHeader(var ScendStockAdjustment: Record "Scend Stock Adjustment")
    begin
        ScendStockAdjustment.SetLoadFields(Status);
        ScendStockAdjustment.GetBySystemId(Rec."Document Id");
    end;

    local procedure SetItemNo()
    var
        Item: Record Item;
    begin
        Item.SetLoadFields("No.");
        Item.GetBySystemId(Rec."Item Id");
        Rec."Item No." := Item."No.";
    end;

    local procedure CheckQuantity()
    begin
        // Signed: positive is a Positive Adjmt., negative a Negative Adjmt.
        if Rec.Quantity = 0 then
            Error(QuantityNotZeroErr);
    end;

    local procedure NextLineNo(): Integer
    var
        ScendStockAdjustmentLine: Record "Scend Stock Adjustment Line";
    begin
        ScendStockAdjustmentLine.SetRange("Document Id", Rec."Document Id");
        ScendStockAdjustmentLine.SetLoadFields("Line No.");
        if ScendStockAdjustmentLine.FindLast() then
            exit(ScendStockAdjustmentLine."Line No." + 10000);
        exit(10000);
    end;
}
