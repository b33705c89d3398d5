/// <summary>API page stockAdjustmentLines (docs/bc-extension-api.md §4): signed quantities per item and location.</summary>
page 50114 "Scend Stock Adjustment Lines"
{
    APIGroup = 'warehouse';
    APIPublisher = 'scendIntegration';
    APIVersion = 'v1.0';
    DelayedInsert = true;
    EntityCaption = 'Stock Adjustment Line';
    EntityName = 'stockAdjustmentLine';
    EntitySetCaption = 'Stock Adjustment Lines';
    EntitySetName = 'stockAdjustmentLines';
    Extensible = false;
    ODataKeyFields = SystemId;
    PageType = API;
    SourceTable = "Scend Stock Adjustment Line";

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(id; Rec.SystemId)
                {
                    Caption = 'Id';
                    Editable = false;
                }
                field(documentId; Rec."Document Id")
                {
                    Caption = 'Document Id';
                }
                field(sequence; Rec."Line No.")
                {
                    Caption = 'Sequence';
                }
                field(itemId; Rec."Item Id")
                {
                    Caption = 'Item Id';
                }
                field(itemNumber; Rec."Item No.")
                {
                    Caption = 'Item No.';
                    Editable = false;
                }
                field(locationCode; Rec."Location Code")
                {
                    Caption = 'Location Code';
                }
                field(quantity; Rec.Quantity)
                {
                    Caption = 'Quantity';
                }
            }
        }
    }

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        // Lines deep-inserted with a repeated create (contract §2.1) are ignored.
        if ScendCreateGuard.IsRepeated(Rec."Document Id") then
            exit(false);
        exit(true);
    end;

    trigger OnModifyRecord(): Boolean
    begin
        Rec.TestInsertOnlyFields(xRec);
        exit(true);
    end;

    var
        ScendCreateGuard: Codeunit "Scend Create Guard";
}
