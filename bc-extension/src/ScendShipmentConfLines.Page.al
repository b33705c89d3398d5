/// <summary>API page shipmentConfirmationLines (docs/bc-extension-api.md §3): the order lines shipped.</summary>
page 50112 "Scend Shipment Conf. Lines"
{
    APIGroup = 'warehouse';
    APIPublisher = 'scendIntegration';
    APIVersion = 'v1.0';
    DelayedInsert = true;
    EntityCaption = 'Shipment Confirmation Line';
    EntityName = 'shipmentConfirmationLine';
    EntitySetCaption = 'Shipment Confirmation Lines';
    EntitySetName = 'shipmentConfirmationLines';
    Extensible = false;
    ODataKeyFields = SystemId;
    PageType = API;
    SourceTable = "Scend Shipment Conf. Line";

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
                field(salesOrderLineId; Rec."Sales Order Line Id")
                {
                    Caption = 'Sales Order Line Id';
                }
                field(itemNumber; Rec."Item No.")
                {
                    Caption = 'Item No.';
                    Editable = false;
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
