table 50105 "Scend Receipt Confirmation"
{
    Access = Public;
    Caption = 'Scend Receipt Confirmation';
    DataClassification = CustomerContent;

    fields
    {
        field(1; "Scend Receipt Id"; Code[35])
        {
            Caption = 'Scend Receipt Id';
            DataClassification = CustomerContent;
            NotBlank = true;
        }
        field(2; "Purchase Order Id"; Guid)
        {
            Caption = 'Purchase Order Id';
            DataClassification = CustomerContent;
        }
        field(3; "Purchase Order No."; Code[20])
        {
            Caption = 'Purchase Order No.';
            DataClassification = CustomerContent;
            Editable = false;
        }
        field(4; "Receipt Date"; Date)
        {
            Caption = 'Receipt Date';
            DataClassification = CustomerContent;
        }
        field(5; "Vendor Shipment No."; Code[35])
        {
            Caption = 'Vendor Shipment No.';
            DataClassification = CustomerContent;
        }
        field(6; Status; Enum "Scend Confirmation Status")
        {
            Caption = 'Status';
            DataClassification = CustomerContent;
            Editable = false;
        }
        field(7; "Purch. Receipt Id"; Guid)
        {
            Caption = 'Purch. Receipt Id';
            DataClassification = CustomerContent;
            Editable = false;
        }
        field(8; "Purch. Receipt No."; Code[20])
        {
            Caption = 'Purch. Receipt No.';
            DataClassification = CustomerContent;
            Editable = false;
        }
    }

    keys
    {
        // The Scend id is the key: the database itself refuses a second confirmation of one Scend receipt.
        key(PK; "Scend Receipt Id")
        {
            Clustered = true;
        }
        key(PurchaseOrder; "Purchase Order No.")
        {
        }
    }

    trigger OnInsert()
    begin
        Rec.TestField("Scend Receipt Id");
        Rec.TestField("Purchase Order Id");
        SetPurchaseOrderNo();
        if Rec."Receipt Date" = 0D then
            Rec."Receipt Date" := Today();
        Rec.Status := Rec.Status::Open;
    end;

    trigger OnDelete()
    var
        ScendReceiptConfLine: Record "Scend Receipt Conf. Line";
    begin
        TestStatusOpen();
        ScendReceiptConfLine.SetRange("Document Id", Rec.SystemId);
        ScendReceiptConfLine.DeleteAll();
    end;

    trigger OnRename()
    begin
        Error(CannotRenameErr, Rec.TableCaption());
    end;

    var
        CannotRenameErr: Label 'You cannot rename a %1.', Comment = '%1 = the table caption';
        CannotChangeErr: Label 'You cannot change %1 after the confirmation is created.', Comment = '%1 = the field caption';
        PostedErr: Label 'The confirmation is posted and cannot be changed or deleted.';

    /// <summary>Refuses any change to a posted confirmation (contract: `Posted` is final).</summary>
    procedure TestStatusOpen()
    begin
        if Rec.Status = Rec.Status::Posted then
            Error(PostedErr);
    end;

    /// <summary>The fields the contract marks "required on create, then read-only".</summary>
    procedure TestInsertOnlyFields(xScendReceiptConfirmation: Record "Scend Receipt Confirmation")
    begin
        if Rec."Scend Receipt Id" <> xScendReceiptConfirmation."Scend Receipt Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Scend Receipt Id"));
        if Rec."Purchase Order Id" <> xScendReceiptConfirmation."Purchase Order Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Purchase Order Id"));
    end;

    /// <summary>Idempotent create (contract §2.1): loads the confirmation that already has this Scend id.</summary>
    procedure LoadExisting(): Boolean
    var
        ExistingConfirmation: Record "Scend Receipt Confirmation";
    begin
        if Rec."Scend Receipt Id" = '' then
            exit(false);
        if not ExistingConfirmation.Get(Rec."Scend Receipt Id") then
            exit(false);
        Rec := ExistingConfirmation;
        exit(true);
    end;

    local procedure SetPurchaseOrderNo()
    var
        PurchaseHeader: Record "Purchase Header";
    begin
        PurchaseHeader.SetLoadFields("Document Type", "No.");
        PurchaseHeader.GetBySystemId(Rec."Purchase Order Id");
        PurchaseHeader.TestField("Document Type", PurchaseHeader."Document Type"::Order);
        Rec."Purchase Order No." := PurchaseHeader."No.";
    end;
}
