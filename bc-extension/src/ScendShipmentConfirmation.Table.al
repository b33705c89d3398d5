table 50101 "Scend Shipment Confirmation"
{
    Access = Public;
    Caption = 'Scend Shipment Confirmation';
    DataClassification = CustomerContent;

    fields
    {
        field(1; "Scend Shipment Id"; Code[35])
        {
            Caption = 'Scend Shipment Id';
            DataClassification = CustomerContent;
            NotBlank = true;
        }
        field(2; "Sales Order Id"; Guid)
        {
            Caption = 'Sales Order Id';
            DataClassification = CustomerContent;
        }
        field(3; "Sales Order No."; Code[20])
        {
            Caption = 'Sales Order No.';
            DataClassification = CustomerContent;
            Editable = false;
        }
        field(4; "Shipment Date"; Date)
        {
            Caption = 'Shipment Date';
            DataClassification = CustomerContent;
        }
        field(5; "Package Tracking No."; Text[50])
        {
            Caption = 'Package Tracking No.';
            DataClassification = CustomerContent;
        }
        field(6; "Shipping Agent Code"; Code[10])
        {
            Caption = 'Shipping Agent Code';
            DataClassification = CustomerContent;
            TableRelation = "Shipping Agent";
        }
        field(7; "Shipping Agent Service Code"; Code[10])
        {
            Caption = 'Shipping Agent Service Code';
            DataClassification = CustomerContent;
            TableRelation = "Shipping Agent Services".Code where("Shipping Agent Code" = field("Shipping Agent Code"));
        }
        field(8; Status; Enum "Scend Confirmation Status")
        {
            Caption = 'Status';
            DataClassification = CustomerContent;
            Editable = false;
        }
        field(9; "Sales Shipment Id"; Guid)
        {
            Caption = 'Sales Shipment Id';
            DataClassification = CustomerContent;
            Editable = false;
        }
        field(10; "Sales Shipment No."; Code[20])
        {
            Caption = 'Sales Shipment No.';
            DataClassification = CustomerContent;
            Editable = false;
        }
    }

    keys
    {
        // The Scend id is the key: the database itself refuses a second confirmation of one Scend shipment.
        key(PK; "Scend Shipment Id")
        {
            Clustered = true;
        }
        key(SalesOrder; "Sales Order No.")
        {
        }
    }

    trigger OnInsert()
    begin
        Rec.TestField("Scend Shipment Id");
        Rec.TestField("Sales Order Id");
        SetSalesOrderNo();
        if Rec."Shipment Date" = 0D then
            Rec."Shipment Date" := Today();
        Rec.Status := Rec.Status::Open;
    end;

    trigger OnDelete()
    var
        ScendShipmentConfLine: Record "Scend Shipment Conf. Line";
    begin
        TestStatusOpen();
        ScendShipmentConfLine.SetRange("Document Id", Rec.SystemId);
        ScendShipmentConfLine.DeleteAll();
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
    procedure TestInsertOnlyFields(xScendShipmentConfirmation: Record "Scend Shipment Confirmation")
    begin
        if Rec."Scend Shipment Id" <> xScendShipmentConfirmation."Scend Shipment Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Scend Shipment Id"));
        if Rec."Sales Order Id" <> xScendShipmentConfirmation."Sales Order Id" then
            Error(CannotChangeErr, Rec.FieldCaption("Sales Order Id"));
    end;

    /// <summary>
    /// Idempotent create (contract §2.1): when a confirmation with this Scend id exists, loads it into Rec
    /// and returns true, so the API page answers with it instead of inserting.
    /// </summary>
    procedure LoadExisting(): Boolean
    var
        ExistingConfirmation: Record "Scend Shipment Confirmation";
    begin
        if Rec."Scend Shipment Id" = '' then
            exit(false);
        if not ExistingConfirmation.Get(Rec."Scend Shipment Id") then
            exit(false);
        Rec := ExistingConfirmation;
        exit(true);
    end;

    local procedure SetSalesOrderNo()
    var
        SalesHeader: Record "Sales Header";
    begin
        SalesHeader.SetLoadFields("Document Type", "No.");
        SalesHeader.GetBySystemId(Rec."Sales Order Id");
        SalesHeader.TestField("Document Type", SalesHeader."Document Type"::Order);
        Rec."Sales Order No." := SalesHeader."No.";
    end;
}
