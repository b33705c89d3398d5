table 50100 "Scend Integration Setup"
{
    Access = Public;
    Caption = 'Scend Integration Setup';
    DataClassification = CustomerContent;
    DataPerCompany = true;

    fields
    {
        field(1; "Primary Key"; Code[10])
        {
            Caption = 'Primary Key';
            DataClassification = SystemMetadata;
        }
        field(2; "Item Journal Template Name"; Code[10])
        {
            Caption = 'Item Journal Template Name';
            DataClassification = CustomerContent;
            TableRelation = "Item Journal Template".Name where(Type = const(Item), Recurring = const(false));

            trigger OnValidate()
            begin
                if "Item Journal Template Name" <> xRec."Item Journal Template Name" then
                    "Item Journal Batch Name" := '';
            end;
        }
        field(3; "Item Journal Batch Name"; Code[10])
        {
            Caption = 'Item Journal Batch Name';
            DataClassification = CustomerContent;
            TableRelation = "Item Journal Batch".Name where("Journal Template Name" = field("Item Journal Template Name"));
        }
        field(4; "Default Reason Code"; Code[10])
        {
            Caption = 'Default Reason Code';
            DataClassification = CustomerContent;
            TableRelation = "Reason Code";
        }
    }

    keys
    {
        key(PK; "Primary Key")
        {
            Clustered = true;
        }
    }

    var
        SetupMissingErr: Label 'The Scend integration is not set up. Open the Scend Integration Setup page and choose the item journal template and batch for stock adjustments.';

    /// <summary>Reads the setup; refuses posting when it has never been filled in.</summary>
    procedure GetSetup()
    begin
        if not Rec.Get() then
            Error(SetupMissingErr);
    end;

    /// <summary>The item journal template and batch stock adjustments post through, and the batch's No. Series.</summary>
    procedure GetItemJournalBatch(var ItemJournalTemplate: Record "Item Journal Template"; var ItemJournalBatch: Record "Item Journal Batch")
    begin
        GetSetup();
        Rec.TestField("Item Journal Template Name");
        Rec.TestField("Item Journal Batch Name");
        ItemJournalTemplate.Get(Rec."Item Journal Template Name");
        ItemJournalBatch.Get(Rec."Item Journal Template Name", Rec."Item Journal Batch Name");
        ItemJournalBatch.TestField("No. Series");
    end;
}
