table 50103 "Scend Stock Adjustment"
{
    Access = Public;
    Caption = 'Scend Stock Adjustment';
    DataClassification = CustomerContent;

    fields
    {
        field(1; "Scend Adjustment Id"; Code[35])
        {
            Caption = 'Scend Adjustment Id';
            DataClassification = CustomerContent;
            NotBlank = true;
        }
        field(2; "Posting Date"; Date)
        {
            Caption = 'Posting Date';
            DataClassification = CustomerContent;
        }
        field(3; "Reason Code"; Code[10])
        {
            Caption = 'Reason Code';
            DataClassification = CustomerContent;
            TableRelation = "Reason Code";
        }
        field(4; Description; Text[100])
        {
            Caption = 'Description';
            DataClassification = CustomerContent;
        }
        field(5; Status; Enum "Scend Confirmation Status")
        {
            Caption = 'Status';
            DataClassification = CustomerContent;
            Editable = false;
        }
        field(6; "Document No."; Code[20])
        {
            Caption = 'Document No.';
            DataClassification = CustomerContent;
            Editable = false;
        }
    }

    keys
    {
        // The Scend id is the key: the database itself refuses a second adjustment with one Scend id.
        key(PK; "Scend Adjustment Id")
        {
            Clustered = true;
        }
        key(DocumentNo; "Document No.")
        {
        }
    }

    trigger OnInsert()
    begin
        Rec.TestField("Scend Adjustment Id");
        if Rec."Posting Date" = 0D then
            Rec."Posting Date" := Today();
        Rec.Status := Rec.Status::Open;
    end;

    trigger OnDelete()
    var
        ScendStockAdjustmentLine: Record "Scend Stock Adjustment Line";
    begin
        TestStatusOpen();
        ScendStockAdjustmentLine.SetRange("Document Id", Rec.SystemId);
        ScendStockAdjustmentLine.DeleteAll();
    end;

    trigger OnRename()
    begin
        Error(CannotRenameErr, Rec.TableCaption());
    end;

    var
        CannotRenameErr: Label 'You cannot rename a %1.', Comment = '%1 = the table caption';
        CannotChangeErr: Label 'You cannot change %1 after the adjustment is created.', Comment = '%1 = the field caption';
        PostedErr: Label 'The confirmation is posted and cannot be changed or deleted.';

    /// <summary>Refuses any change to a posted adjustment (contract: `Posted` is final).</summary>
    procedure TestStatusOpen()
    begin
        if Rec.Status = Rec.Status::Posted then
            Error(PostedErr);
    end;

    /// <summary>The fields the contract marks "required on create, then read-only".</summary>
    procedure TestInsertOnlyFields(xScendStockAdjustment: Record "Scend Stock Adjustment")
    begin
        if Rec."Scend Adjustment Id" <> xScendStockAdjustment."Scend Adjustment Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Scend Adjustment Id"));
    end;

    /// <summary>Idempotent create (contract §2.1): loads the adjustment that already has this Scend id.</summary>
    procedure LoadExisting(): Boolean
    var
        ExistingAdjustment: Record "Scend Stock Adjustment";
    begin
        if Rec."Scend Adjustment Id" = '' then
            exit(false);
        if not ExistingAdjustment.Get(Rec."Scend Adjustment Id") then
            exit(false);
        Rec := ExistingAdjustment;
        exit(true);
    end;
}
